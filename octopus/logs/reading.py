"""Read a run's stored lines in order, by sequence number: what live viewers, the text
download and the `octopus logs` command all use."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from channels.db import DatabaseSyncToAsync

from octopus.lib.logline import LEVELS
from octopus.logs.models import LogLine
from octopus.runs.models import ACTIVE_STATES, Run, RunState

PAGE = 1000  # lines per read

# Async readers (live viewers, downloads) read in their own threads: the one thread that
# Channels gives database calls by default also stores the workers' lines, and a reader
# must never hold it up.
READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="log-reader")


async def read_async(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) in a reader thread, its database connection closed afterwards."""
    return await DatabaseSyncToAsync(fn, thread_sensitive=False, executor=READERS)(*args)


class Line(NamedTuple):
    seq: int
    ts: datetime  # aware UTC
    stream: str  # stdout | stderr | system
    level: str  # a LEVELS name, or "cursor"
    text: str

    def to_wire(self) -> list[Any]:
        """[seq, epoch seconds, stream, level, text], as live viewers receive it."""
        return [self.seq, round(self.ts.timestamp(), 6), self.stream, self.level, self.text]


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
    q = LogLine.objects.filter(run_id=run_id, seq__gt=after_seq)
    if min_level and min_level != "all":
        q = q.filter(level__in=levels_at_least(min_level))
    rows = q.order_by("seq").values_list("seq", "ts", "stream", "level", "text")[:limit]
    return [Line(*row) for row in rows]


def levels_at_least(threshold: str) -> list[str]:
    """The stored level names at least as severe as threshold (a LEVELS name)."""
    if threshold not in LEVELS:
        raise ValueError(f"unknown level {threshold!r}; one of {', '.join(LEVELS)}")
    names = list(LEVELS[: LEVELS.index(threshold) + 1])
    if "info" in names:
        names.append("cursor")  # cursor lines are progress info
    return names


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
            "state_label": RunState(self.state).label,
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
    row = Run.objects.filter(id=run_id).values_list(*_STATUS_FIELDS).first()
    return RunStatus(*row) if row else None


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
