"""Django's SQLite backend with the write lock taken in-process first.

SQLite has one writer at a time. A second `BEGIN IMMEDIATE` waits in SQLite's busy handler,
which sleeps 1, 2, 5, 10… ms between tries: under the server's steady write traffic (the
dispatcher, every worker's batches, the loops) those naps were a measurable share of a
run's latency and capped throughput. Threads of one process instead queue on a lock that
wakes the next one the moment the holder commits. Other processes (the CLI, a second
server) still meet SQLite's own lock and busy handler, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.sqlite3 import base

# Give up queueing after this long and let SQLite's busy timeout decide (it raises
# "database is locked" rather than hanging forever behind a stuck holder).
LOCK_WAIT = 10.0

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _writer_lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holding: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        lock = _writer_lock(str(self.settings_dict["NAME"]))
        if lock.acquire(timeout=LOCK_WAIT):
            self._holding = lock
        try:
            # A private method of Django's, missing from django-stubs.
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        lock, self._holding = self._holding, None
        if lock is not None:
            lock.release()

    @contextmanager
    def _then_release_writer(self) -> Iterator[None]:
        """The transaction ends (or the connection closes), whatever happens: let the
        next writer of this process go."""
        try:
            yield
        finally:
            self._release_writer()

    def _commit(self) -> None:
        with self._then_release_writer():
            super()._commit()  # type: ignore[misc]  # private: not in django-stubs

    def _rollback(self) -> None:
        with self._then_release_writer():
            super()._rollback()  # type: ignore[misc]  # private: not in django-stubs

    def _close(self) -> None:
        with self._then_release_writer():
            super()._close()  # type: ignore[misc]  # private: not in django-stubs
