"""Django's SQLite backend, with one writer at a time per process queued on a Python lock."""
