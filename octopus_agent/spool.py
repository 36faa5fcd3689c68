"""The agent's outbox: every message the server must receive is written here first.

A SQLite file on local disk (stdlib only) keeps messages in order with increasing ids.
They are deleted only when the server acknowledges them, so a dead link, a dead server or
a restarted agent loses nothing: whatever is left is sent again, in order, and the server
stores each message idempotently. The outbox is bounded: past `max_bytes` it refuses new
log batches (the caller counts and reports the dropped lines) but always accepts run
results, so a run's final state is never lost.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from octopus_agent.private_files import private_dir, private_sqlite

log = logging.getLogger("octopus_agent.spool")

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_runs (
    run_id INTEGER PRIMARY KEY,
    seen_at REAL NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
);
"""


class SpoolFull(Exception):
    """The outbox is full; the message was not stored."""


class Spool:
    def __init__(self, path: Path, max_bytes: int = 1024 * 1024 * 1024) -> None:
        # The agent's data directory 0700 and the outbox 0600: job output is nobody else's.
        private_dir(path.parent)
        private_sqlite(path)
        self.path = path
        self.max_bytes = max_bytes
        # isolation_level=None: we open transactions ourselves, one per append.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(seen_runs)")}
        if "ended" not in columns:  # an outbox written by an agent before 0.3
            self.db.execute("ALTER TABLE seen_runs ADD COLUMN ended INTEGER NOT NULL DEFAULT 1")
        self._bytes = self._measure()
        self.full_warned = False

    def _measure(self) -> int:
        row = self.db.execute("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM outbox").fetchone()
        return int(row[0])

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def append(self, msg_type: str, body: dict[str, Any], *, force: bool = False) -> int:
        """Store one message and return its id. Raise SpoolFull unless `force`."""
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return self.append_text(msg_type, text, force=force)

    def append_text(self, msg_type: str, text: str, *, force: bool = False) -> int:
        """append() for a body already encoded: the JSON text of an object."""
        if not force and self._bytes + len(text) > self.max_bytes:
            if not self.full_warned:
                log.warning(
                    "spool %s is full (%d bytes): new log lines are dropped until the "
                    "server takes the backlog",
                    self.path,
                    self._bytes,
                )
                self.full_warned = True
            raise SpoolFull
        cur = self.db.execute("INSERT INTO outbox (type, body) VALUES (?, ?)", (msg_type, text))
        self._bytes += len(text)
        return int(cur.lastrowid or 0)

    def pending(self, after_id: int, limit: int = 200) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.db.execute(
            "SELECT id, type, body FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        return [(row[0], row[1], json.loads(row[2])) for row in rows]

    def pending_raw(self, after_id: int, limit: int = 200) -> list[tuple[int, str, str]]:
        """Like pending, with each body as the stored JSON text of an object."""
        return self.db.execute(
            "SELECT id, type, body FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()

    def ack(self, upto: int) -> None:
        # Only the acknowledged rows are measured: summing the whole outbox on every ack
        # would cost time in proportion to the backlog.
        row = self.db.execute(
            "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM outbox WHERE id <= ?", (upto,)
        ).fetchone()
        self.db.execute("DELETE FROM outbox WHERE id <= ?", (upto,))
        self._bytes = max(0, self._bytes - int(row[0]))
        if self.full_warned and self._bytes < self.max_bytes // 2:
            self.full_warned = False

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    # Runs this agent has already accepted, so a run sent again after a reconnect (its
    # result still in the outbox) is never started twice.
    def mark_seen(self, run_id: int) -> bool:
        """Record the run; return False when it was already seen."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO seen_runs (run_id, seen_at) VALUES (?, ?)",
            (run_id, time.time()),
        )
        return cur.rowcount == 1

    def mark_ended(self, run_id: int) -> None:
        """The run's final report is in the outbox: it is no longer running here."""
        self.db.execute("UPDATE seen_runs SET ended = 1 WHERE run_id = ?", (run_id,))

    def unended_runs(self) -> list[int]:
        """Runs accepted and never ended: at start, those a predecessor was running when it
        died (their processes died with it)."""
        rows = self.db.execute("SELECT run_id FROM seen_runs WHERE ended = 0 ORDER BY run_id")
        return [int(row[0]) for row in rows]

    def finishing_runs(self) -> dict[int, int]:
        """Runs whose final report waits in the outbox: run id → the report's message id.
        Read once at start (it scans the outbox); the agent keeps the set up to date."""
        rows = self.db.execute(
            "SELECT json_extract(body, '$.run_id'), id FROM outbox WHERE type = 'run_finished'"
        )
        return {int(run_id): int(msg_id) for run_id, msg_id in rows}

    def forget_seen_before(self, cutoff: float) -> None:
        self.db.execute("DELETE FROM seen_runs WHERE seen_at < ?", (cutoff,))

    def close(self) -> None:
        self.db.close()
