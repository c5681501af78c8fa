"""Writing run outputs atomically (temporary file, then rename)."""
