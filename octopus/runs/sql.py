"""Raw SQL for the run hot paths, kept together. Everything else uses the ORM.

Why raw here: when thousands of jobs fire in the same second, building the INSERT through
the ORM cost ~0.25 ms per run (compiling 28 fields per row); one prepared statement with
executemany does the same work in a fraction of that (bench/scheduler.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection

from octopus.jobs.models import Routing
from octopus.runs.models import RunState

# Queue scheduled firings. (job_id, scheduled_for, fanout_key) is unique: a firing another
# scheduler already queued is ignored, not an error.
INSERT_FIRING = """
INSERT {ignore} INTO runs_run ({columns})
VALUES (%s, 'schedule', %s, '', 1, %s, '', 'queued', '', '', %s, NULL, %s, 0, %s)
{on_conflict}
"""
# Quoted per database: `trigger` is a reserved word in MySQL and MariaDB.
COLUMNS = (
    "job_id",
    "trigger",
    "scheduled_for",
    "fanout_key",
    "attempt",
    "args",
    "command",
    "state",
    "reason",
    "note",
    "created",
    "not_before",
    "no_worker_alerted",
    "log_lines",
    "saw_end_marker",
)


def _statement(template: str, **parts: str) -> str:
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    if connection.vendor == "mysql":
        ignore, on_conflict = "IGNORE", ""
    else:
        ignore, on_conflict = "", "ON CONFLICT DO NOTHING"
    return template.format(columns=columns, ignore=ignore, on_conflict=on_conflict, **parts)


def insert_firings(rows: list[tuple[int, datetime, list[str]]], now: datetime) -> None:
    """Queue these firings, due now: rows of (job id, scheduled_for, args)."""
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(now)
    params = [
        (job_id, adapt(scheduled_for), json.dumps(args), created, False, False)
        for job_id, scheduled_for, args in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_statement(INSERT_FIRING), params)


# Queue one firing of a group of jobs sharing a schedule, ahead of its second, straight from
# their rows (octopus/jobs/scheduler.py, queue_ahead): the database does the per-row work. A
# job whose row no longer matches (edited, disabled, already fired) is left out and is seen
# to again. (SQLite needs the SELECT's WHERE to read ON CONFLICT as an upsert.)
INSERT_AHEAD = """
INSERT {ignore} INTO runs_run ({columns})
SELECT j.id, 'schedule', %s, '', 1, j.default_args, '', 'queued', '', '', %s, %s, %s, 0, %s
FROM jobs_job j
WHERE {matches}
{on_conflict}
"""
# The firing is claimed by moving next_fire_at on, under the same conditions.
MOVE_AHEAD = "UPDATE jobs_job SET next_fire_at = %s WHERE {matches}"
AHEAD_MATCH = (
    "{t}next_fire_at = %s AND {t}enabled = %s AND {t}schedule = %s AND {t}time_zone = %s"
    " AND {t}routing <> %s"
)


def queue_firing_ahead(
    schedule: str,
    time_zone: str,
    firing: datetime,
    following: datetime,
    now: datetime,
) -> int:
    """Queue `firing` for the jobs due then with this schedule and time zone, as runs not
    handed out before it, and move their next_fire_at to `following` (the same for all of
    them); return how many runs were inserted."""
    adapt = connection.ops.adapt_datetimefield_value
    match_params = [adapt(firing), True, schedule, time_zone, Routing.BROADCAST]
    insert = _statement(INSERT_AHEAD, matches=AHEAD_MATCH.format(t="j."))
    insert_params = [adapt(firing), adapt(now), adapt(firing), False, False, *match_params]
    move = MOVE_AHEAD.format(matches=AHEAD_MATCH.format(t=""))
    with connection.cursor() as cursor:
        cursor.execute(insert, insert_params)
        inserted = cursor.rowcount
        cursor.execute(move, [adapt(following), *match_params])
    return max(inserted, 0)


# A worker's reports, many runs at a time (octopus/workers/agent_api.py): one prepared
# statement run for every row costs a fraction of an ORM UPDATE compiled with a CASE per
# column and a WHEN per run, which grew with the batch.
MARK_STARTED = (
    "UPDATE runs_run SET state = %s, pid = %s, started_at = %s"
    " WHERE id = %s AND worker_id = %s AND state = %s"
)
FINISH = (
    "UPDATE runs_run SET state = %s, reason = %s, exit_code = %s, {signal} = %s,"
    " finished_at = %s WHERE id = %s"
)


def mark_started(worker_id: int, starts: dict[int, tuple[int, datetime]]) -> int:
    """Dispatched runs of this worker → running (run id → pid, start time). Return how
    many rows changed, or -1 where the driver cannot tell."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (RunState.RUNNING, pid, adapt(at), run_id, worker_id, RunState.DISPATCHED)
        for run_id, (pid, at) in starts.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(MARK_STARTED, params)
        return cursor.rowcount


def finish(rows: list[tuple[int, str, str, int | None, int | None, datetime]]) -> None:
    """rows: (run id, state, reason, exit code, signal, finished at), for runs locked by
    the caller."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (state, reason, exit_code, signal, adapt(finished_at), run_id)
        for run_id, state, reason, exit_code, signal, finished_at in rows
    ]
    # `signal` is a reserved word in MySQL and MariaDB.
    sql = FINISH.format(signal=connection.ops.quote_name("signal"))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
