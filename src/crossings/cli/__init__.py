"""The command line: parse, call the library, write files, set the exit code."""
