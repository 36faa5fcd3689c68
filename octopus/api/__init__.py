"""The REST API under /api/v1: the shared parts (auth, errors, pagination) and the app."""
