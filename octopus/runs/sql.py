"""Raw SQL for the run hot paths, kept together. Everything else uses the ORM.

Why raw here: when thousands of jobs fire in the same second, building the INSERT through
the ORM cost ~0.25 ms per run (compiling 28 fields per row); one prepared statement with
executemany does the same work in a fraction of that (bench/scheduler.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection

from octopus.jobs import sql as jobs_sql
from octopus.runs.models import RunState

# Scheduled firings (octopus/runs/firings.py). (job_id, scheduled_for, fanout_key) is
# unique: a firing another scheduler already queued is ignored, not an error.
INSERT_FIRING = """
INSERT {ignore} INTO runs_run ({columns})
VALUES (%s, 'schedule', %s, %s, 1, %s, '', %s, %s, %s, %s, NULL, %s, 0, %s, %s)
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
    "finished_at",
)


def _statement(template: str, **parts: str) -> str:
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    if connection.vendor == "mysql":
        ignore, on_conflict = "IGNORE", ""
    else:
        ignore, on_conflict = "", "ON CONFLICT DO NOTHING"
    return template.format(columns=columns, ignore=ignore, on_conflict=on_conflict, **parts)


FiringRow = tuple[int, datetime, str, list[str], str, str, str, datetime | None]


def insert_firings(rows: list[FiringRow], now: datetime, count: bool = False) -> int:
    """Insert firings: rows of (job id, scheduled_for, fanout key, args, state, reason,
    note, finished_at). With `count`, one statement per row, to return how many were new
    (a batch's row count is not reliable on every driver); else len(rows)."""
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(now)
    params = [
        (
            job_id,
            adapt(scheduled_for),
            fanout_key,
            json.dumps(args),
            state,
            reason,
            note,
            created,
            False,
            False,
            adapt(finished_at) if finished_at else None,
        )
        for job_id, scheduled_for, fanout_key, args, state, reason, note, finished_at in rows
    ]
    statement = _statement(INSERT_FIRING)
    with connection.cursor() as cursor:
        if not count:
            cursor.executemany(statement, params)
            return len(params)
        inserted = 0
        for row in params:
            cursor.execute(statement, row)
            inserted += max(cursor.rowcount, 0)
        return inserted


# One firing of a group of jobs sharing a schedule, queued ahead of its second straight from
# their rows (octopus/runs/firings.py): the database does the per-row work. Which jobs are
# due then is `jobs.sql.DUE_AT`; the scheduler claims them next (`jobs.sql.claim_due_at`)
# under the same conditions, in the same transaction. (SQLite needs the SELECT's WHERE to
# read ON CONFLICT as an upsert.)
INSERT_AHEAD = """
INSERT {ignore} INTO runs_run ({columns})
SELECT j.id, 'schedule', %s, '', 1, j.default_args, '', 'queued', '', '', %s, %s, %s, 0, %s, NULL
FROM jobs_job j
WHERE {matches}
{on_conflict}
"""


def insert_firing_ahead(schedule: str, time_zone: str, firing: datetime, now: datetime) -> int:
    """Queue `firing` for the jobs due then with this schedule and time zone, as runs not
    handed out before it; return how many runs were inserted."""
    adapt = connection.ops.adapt_datetimefield_value
    insert = _statement(INSERT_AHEAD, matches=jobs_sql.DUE_AT.format(t="j."))
    params = [adapt(firing), adapt(now), adapt(firing), False, False]
    params += jobs_sql.due_at_params(schedule, time_zone, firing)
    with connection.cursor() as cursor:
        cursor.execute(insert, params)
        return max(cursor.rowcount, 0)


# A worker's reports, many runs at a time (octopus/link/reports.py): one prepared
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
