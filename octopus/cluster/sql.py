"""The raw SQL of coordination between server processes, per database vendor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# Replicas starting together migrate one at a time (SQLite: one process, no lock).
MIGRATION_LOCK = {
    "postgresql": ("SELECT pg_advisory_lock(80570)", "SELECT pg_advisory_unlock(80570)"),
    "mysql": ("SELECT GET_LOCK('octopus_migrate', 300)", "SELECT RELEASE_LOCK('octopus_migrate')"),
}


@contextmanager
def migration_lock() -> Iterator[None]:
    """Hold the database-wide migration lock while the block runs."""
    lock, unlock = MIGRATION_LOCK.get(connection.vendor, ("", ""))
    if lock:
        with connection.cursor() as cursor:
            cursor.execute(lock)
    try:
        yield
    finally:
        if unlock:
            with connection.cursor() as cursor:
                cursor.execute(unlock)


def pg_notify(channel: str, payload: str) -> None:
    """NOTIFY on PostgreSQL, delivered to the listeners when the transaction commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [channel, payload])
