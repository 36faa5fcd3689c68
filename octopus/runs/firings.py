"""Firings: the runs a job's schedule makes, written here and nowhere else.

A firing is a run with trigger `schedule` and the second it is for (`scheduled_for`);
(job, scheduled_for, fanout_key) is unique, so a firing is written once whoever computes
it, and a second write of it is ignored, not an error. The scheduler writes firings three
ways, all through this module:

- `queue_ahead`: a few seconds before their second, for every job sharing a schedule at
  once, straight from the jobs' rows (no per-job Python work);
- `record` with `count=False`: the on-time firings of a tick, in one batch;
- `record` with `count=True`: the slow path (late, missed, broadcast firings), one row at a
  time so that the caller learns which were new.

What a firing means once written is the dispatcher's (the `skip` rule, at its second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from octopus.jobs import sql as jobs_sql
from octopus.runs import sql
from octopus.runs.models import RunState


@dataclass(frozen=True)
class Firing:
    job_id: int
    scheduled_for: datetime
    args: list[str] = field(default_factory=list)
    state: str = RunState.QUEUED  # or SKIPPED, for a firing recorded as missed
    reason: str = ""
    note: str = ""
    fanout_key: str = ""  # a broadcast firing: one run per worker, by its name


def record(firings: list[Firing], now: datetime, count: bool = False) -> int:
    """Write these firings (skipped ones end at `now`); return how many were new, or with
    `count=False` how many were written (a batch of firings no one else can have written:
    their jobs' next firing was just claimed)."""
    rows = [
        (
            f.job_id,
            f.scheduled_for,
            f.fanout_key,
            f.args,
            f.state,
            f.reason,
            f.note,
            now if f.state == RunState.SKIPPED else None,
        )
        for f in firings
    ]
    return sql.insert_firings(rows, now, count=count)


def queue_ahead(
    schedule: str, time_zone: str, firing: datetime, following: datetime, now: datetime
) -> int:
    """Queue `firing` for every job due then with this schedule and time zone, as runs not
    handed out before it, and move those jobs' next firing on to `following` (inside the
    caller's transaction). Return how many runs were queued."""
    queued = sql.insert_firing_ahead(schedule, time_zone, firing, now)
    jobs_sql.claim_due_at(schedule, time_zone, firing, following)
    return queued
