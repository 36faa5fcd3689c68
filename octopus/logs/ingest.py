"""Store a batch of a run's output lines: the log hot path.

Lines arrive as [seq, ts, stream, text] from the worker. Storing is idempotent: (run, seq)
is unique and conflicts are skipped, so a batch sent again after a reconnect adds nothing.
While storing, lines are read for what they mean to the run: the level in the original
format, an end marker (code 120), a cursor checkpoint. After the transaction commits,
live viewers of the run in this process are nudged (viewers elsewhere poll).

The insert itself is raw SQL (octopus/logs/sql.py says why); the rest is the ORM.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from octopus.jobs.models import Job
from octopus.lib.logline import CODE_END, parse_line
from octopus.logs import live, sql
from octopus.runs.models import Run
from octopus_agent import protocol

log = logging.getLogger("octopus.logs")

MARKER = "…[line cut at {} bytes]"
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL and MySQL
MAX_TS = 253402300799.0  # 9999-12-31T23:59:59Z, the last time a datetime can hold
STREAMS = frozenset({protocol.STDOUT, protocol.STDERR, protocol.SYSTEM})


def bounded(text: str) -> str:
    """The text as it may be stored: at most LOG_LINE_MAX_BYTES of UTF-8, cut with a
    visible marker, NUL escaped. The worker already does both; this guards the database
    against any client."""
    limit = settings.LOG_LINE_MAX_BYTES
    if len(text) > limit // 4:  # cheap test first: a char is at most 4 bytes
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > limit:
            text = data[:limit].decode("utf-8", "ignore") + " " + MARKER.format(limit)
    if "\x00" in text:  # PostgreSQL refuses NUL in text
        text = text.replace("\x00", "\\x00")
    return text


def _level(text: str, stream: str) -> tuple[str, int | None, str | None]:
    """(level, code, cursor) of one line."""
    if stream == protocol.SYSTEM:
        return "warn", None, None
    # A line in the original format starts with its time, whose first four characters are
    # digits (YYYY/… or YYYY-…): anything else is unstructured, and parsing it would only
    # cost time on the hot path.
    if not text[:4].isdigit():
        return ("warn" if stream == protocol.STDERR else "info"), None, None
    parsed = parse_line(text, stream)
    return parsed.level, parsed.code, (parsed.content if parsed.level == "cursor" else None)


class _Stamps:
    """UTC times as SQLite stores a DateTimeField ("YYYY-MM-DD HH:MM:SS.ffffff"), formatting
    each whole second once: the lines of a batch mostly share a few seconds."""

    def __init__(self) -> None:
        self.seconds: dict[int, str] = {}

    def __call__(self, ts: float) -> str:
        whole = int(ts)
        micro = int((ts - whole) * 1_000_000 + 0.5)
        if micro >= 1_000_000:
            whole, micro = whole + 1, micro - 1_000_000
        head = self.seconds.get(whole)
        if head is None:
            head = self.seconds[whole] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole))
        return f"{head}.{micro:06d}"


def _adapted_time(ts: float) -> Any:
    return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(ts, UTC))


@dataclass(slots=True)
class Batch:
    """A batch read and checked, ready to insert."""

    rows: list[tuple] = field(default_factory=list)
    last_seq: int = 0
    last_ts: float = 0.0
    end_marker: bool = False
    cursor: str | None = None
    rejected: list[str] = field(default_factory=list)  # why entries were refused


def read_batch(run_id: int, lines: list, stamp: Any) -> Batch:
    """Check and convert the lines; entries that cannot be stored are listed in
    `rejected` (with the reason) and the others kept."""
    batch = Batch()
    rows = batch.rows
    now = time.time()
    long_line = settings.LOG_LINE_MAX_BYTES // 4  # chars; shorter lines cannot be too long
    for entry in lines:
        try:
            seq, ts, stream, text = entry
            seq = int(seq)
        except (TypeError, ValueError):
            batch.rejected.append(f"not [seq, ts, stream, text]: {str(entry)[:80]}")
            continue
        if not 0 < seq <= MAX_SEQ:
            batch.rejected.append(f"sequence number out of range: {seq}")
            continue
        try:
            ts = float(ts)
        except (TypeError, ValueError):
            ts = now  # a bad time must not lose the line
        if not 0 < ts < MAX_TS:
            ts = now
        if stream not in STREAMS:
            stream = str(stream)[:6]
        if type(text) is not str:
            text = str(text)
        if len(text) > long_line or "\x00" in text:
            text = bounded(text)
        level, code, cursor = _level(text, stream)
        if code == CODE_END:
            batch.end_marker = True
        if cursor is not None:
            batch.cursor = cursor
        rows.append((run_id, seq, stamp(ts), stream, level, text))
        if seq > batch.last_seq:
            batch.last_seq, batch.last_ts = seq, ts
    # Sorted by seq, so ids follow the run's order; already sorted is the usual case.
    rows.sort(key=_seq_of)
    return batch


def _seq_of(row: tuple) -> int:
    return row[1]


def _readable(row: tuple) -> tuple:
    """The row with lone surrogates (which no database encodes) written as \\xNN."""
    *head, text = row
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")
    return (*head, text)


def _insert(rows: list[tuple]) -> None:
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        db = connection.connection  # the sqlite3 connection, inside Django's transaction
        db.executemany(sql.INSERT_LINES["sqlite"], rows)
        db.execute(sql.SQLITE_INDEX_NEW_LINES)
        db.execute(sql.SQLITE_MOVE_WATERMARK)
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql.INSERT_LINES.get(vendor, sql.INSERT_LINES["postgresql"]), rows)


def store_lines(run: Run, lines: list) -> int:
    """Store the lines; return the highest seq in the batch (0 when none was stored).

    Entries that are not [seq, ts, stream, text] with a valid seq are skipped with a
    warning naming them; the rest of the batch is stored.
    """
    if not lines:
        return 0
    stamp = _Stamps() if connection.vendor == "sqlite" else _adapted_time
    batch = read_batch(run.id, lines, stamp)
    if batch.rejected:
        log.warning(
            "run %s: %d log line(s) refused: %s",
            run.id,
            len(batch.rejected),
            "; ".join(batch.rejected[:5]),
        )
    if not batch.rows:
        return 0
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():  # a savepoint: a refused insert leaves nothing behind
                _insert(batch.rows)
        except UnicodeEncodeError:
            # Only a client other than our agent sends these (it decodes with
            # backslashreplace); keep the lines readable rather than refuse the batch.
            _insert([_readable(row) for row in batch.rows])
        updates: dict = {
            "log_lines": Greatest(F("log_lines"), batch.last_seq),
            "last_output_at": datetime.fromtimestamp(batch.last_ts, UTC),
        }
        if batch.end_marker:
            updates["saw_end_marker"] = True
        Run.objects.filter(id=run.id).update(**updates)
        if batch.cursor is not None:
            # A checkpoint: stored on the job at once, so the next run or retry resumes here.
            Job.objects.filter(id=run.job_id).update(cursor=batch.cursor)
        transaction.on_commit(partial(live.nudge, run.id, run.job_id))
    return batch.last_seq
