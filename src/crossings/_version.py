"""The package's version (one place, read by packaging and by every output that records it)."""

__version__ = "0.1.0"
