"""Read a run's stored lines in order, by sequence number: what live viewers, the text
download and the `octopus logs` command all use. How lines are stored (chunks) stays
behind these functions."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connections

from octopus.logs.chunks import STREAM_LEVEL, letters_at_least, unpack
from octopus.logs.models import LogChunk
from octopus.runs.models import ACTIVE_STATES, Run, RunState

PAGE = 1000  # lines per read
CHUNKS_PER_QUERY = 100

# Async readers (live viewers, downloads) read in their own threads: the one thread that
# Channels gives database calls by default also stores the workers' lines, and a reader
# must never hold it up. Each reader thread keeps its database connection: a live viewer
# reads after every batch stored, and connecting each time cost more than the reading.
READER_THREADS = 4
READERS = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="log-reader")


def _in_reader_thread(fn: Callable[..., Any], args: tuple) -> Any:
    try:
        return fn(*args)
    except Exception:
        connections.close_all()  # this thread's: the next call starts from a fresh one
        raise


def close_reader_connections() -> None:
    """Close the reader threads' database connections (a test database being dropped
    waits for them). Each thread must close its own: a barrier keeps every close task
    busy until all have started, so each runs on a thread of its own."""
    barrier = threading.Barrier(READER_THREADS)

    def close() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(10)

    for future in [READERS.submit(close) for _ in range(READER_THREADS)]:
        future.result()


async def read_async(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) in a reader thread."""
    return await asyncio.get_running_loop().run_in_executor(READERS, _in_reader_thread, fn, args)


class Line(NamedTuple):
    seq: int
    ts: datetime  # aware UTC: when the worker read the line
    stream: str  # stdout | stderr | system
    level: str  # a LEVELS name, or "cursor"
    text: str


def chunks_after(run_id: int, after_seq: int) -> Iterator[tuple[int, datetime, str, str]]:
    """(first_seq, ts, kinds, text) of the run's chunks holding lines after after_seq."""
    while True:
        rows = list(
            LogChunk.objects.filter(run_id=run_id, last_seq__gt=after_seq)
            .order_by("last_seq")
            .values_list("first_seq", "last_seq", "ts", "kinds", "text")[:CHUNKS_PER_QUERY]
        )
        for first_seq, _last, ts, kinds, text in rows:
            yield first_seq, ts, kinds, text
        if len(rows) < CHUNKS_PER_QUERY:
            return
        after_seq = rows[-1][1]


def lines_after(
    run: Run | int, after_seq: int = 0, limit: int = PAGE, min_level: str | None = None
) -> list[Line]:
    """Up to `limit` lines of the run with seq > after_seq, in order. `min_level` keeps
    lines at least that severe ("error" keeps fatal and error; cursor lines count as info).

    A hole in the seqs is final: lines are stored in order, so a line missing below the
    last stored one was never stored (refused, dropped by a full worker outbox) or was
    purged by retention.
    """
    run_id = run if isinstance(run, int) else run.id
    wanted = letters_at_least(min_level) if min_level and min_level != "all" else None
    lines: list[Line] = []
    for first_seq, ts, kinds, text in chunks_after(run_id, after_seq):
        if wanted is not None and not wanted.intersection(kinds):
            continue
        for seq, kind, line in unpack(first_seq, kinds, text):
            if seq <= after_seq or (wanted is not None and kind not in wanted):
                continue
            stream, level = STREAM_LEVEL[kind]
            lines.append(Line(seq, ts, stream, level, line))
            if len(lines) >= limit:
                return lines
    return lines


@dataclass(frozen=True, slots=True)
class RunStatus:
    """What a viewer shows of a run besides its lines."""

    id: int
    job_id: int
    state: str
    reason: str
    exit_code: int | None
    signal: int | None
    last_seq: int  # the highest seq stored so far
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "state": self.state,
            "state_label": str(RunState(self.state).label),
            "reason": self.reason,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "last_seq": self.last_seq,
            "active": self.active,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


_STATUS_FIELDS = (
    "id",
    "job_id",
    "state",
    "reason",
    "exit_code",
    "signal",
    "log_lines",
    "started_at",
    "finished_at",
)


def run_status(run_id: int) -> RunStatus | None:
    try:  # get(), not first(): no ORDER BY to compile, for every read of a live viewer
        return RunStatus(*Run.objects.values_list(*_STATUS_FIELDS).get(id=run_id))
    except Run.DoesNotExist:
        return None


def latest_run_status(job_id: int) -> RunStatus | None:
    """The job's newest run that did or will run (skipped firings never have output)."""
    row = (
        Run.objects.filter(job_id=job_id)
        .exclude(state=RunState.SKIPPED)
        .order_by("-id")
        .values_list(*_STATUS_FIELDS)
        .first()
    )
    return RunStatus(*row) if row else None
