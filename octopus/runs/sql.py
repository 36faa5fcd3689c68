"""Raw SQL for the run hot paths, kept together. Everything else uses the ORM.

Why raw here: when thousands of jobs fire in the same second, building the INSERT through
the ORM cost ~0.25 ms per run (compiling 28 fields per row); one prepared statement with
executemany does the same work in a fraction of that (bench/scheduler.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection

from octopus.jobs.models import Concurrency, Routing
from octopus.runs.models import ACTIVE_STATES, RunState

# Queue (or record as skipped) scheduled firings. (job_id, scheduled_for, fanout_key) is
# unique: a firing another scheduler already queued is ignored, not an error.
INSERT_FIRING = """
INSERT {ignore} INTO runs_run ({columns})
VALUES (%s, 'schedule', %s, '', 1, %s, '', %s, %s, '', %s, %s, %s, 0, %s)
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
    "finished_at",
    "no_worker_alerted",
    "log_lines",
    "saw_end_marker",
)


def insert_firings(
    rows: list[tuple[int, datetime, list[str], str, str, bool]], now: datetime
) -> None:
    """rows: (job id, scheduled_for, args, state, reason, finished)."""
    ops = connection.ops
    columns = ", ".join(ops.quote_name(column) for column in COLUMNS)
    if connection.vendor == "mysql":
        sql = INSERT_FIRING.format(columns=columns, ignore="IGNORE", on_conflict="")
    else:
        sql = INSERT_FIRING.format(columns=columns, ignore="", on_conflict="ON CONFLICT DO NOTHING")
    created = ops.adapt_datetimefield_value(now)
    params = [
        (
            job_id,
            ops.adapt_datetimefield_value(scheduled_for),
            json.dumps(args),
            state,
            reason,
            created,
            created if finished else None,
            False,
            False,
        )
        for job_id, scheduled_for, args, state, reason, finished in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# Queue the on-time firing of a group of jobs sharing one schedule, straight from their rows
# (octopus/jobs/scheduler.py, planned firings): the database does the per-row work. A job
# whose row no longer matches the plan (edited, disabled, already fired) is left out and
# goes through the general path. Under the `skip` rule a job with an active run gets a
# skipped run naming it. (The outer WHERE keeps SQLite from reading ON CONFLICT as a join.)
INSERT_PLANNED = """
INSERT {ignore} INTO runs_run ({columns})
SELECT d.id, 'schedule', %s, '', 1, d.default_args, '',
       CASE WHEN d.active IS NULL THEN %s ELSE %s END,
       CASE WHEN d.active IS NULL THEN '' ELSE {skipped_reason} END,
       '', %s, CASE WHEN d.active IS NULL THEN NULL ELSE %s END, %s, 0, %s
FROM (
  SELECT j.id, j.default_args,
         CASE WHEN j.concurrency = %s THEN
           (SELECT MIN(r.id) FROM runs_run r WHERE r.job_id = j.id AND r.state IN ({active}))
         END AS active
  FROM jobs_job j
  WHERE {matches}
) d
WHERE 1 = 1
{on_conflict}
"""
# The firing is claimed by moving next_fire_at on, under the same conditions.
MOVE_PLANNED = "UPDATE jobs_job SET next_fire_at = %s WHERE {matches}"
PLANNED_MATCH = (
    "{t}next_fire_at = %s AND {t}enabled = %s AND {t}schedule = %s AND {t}time_zone = %s"
    " AND {t}routing <> %s"
)


def queue_planned_firings(
    schedule: str,
    time_zone: str,
    firing: datetime,
    following: datetime,
    now: datetime,
) -> int:
    """Queue `firing` for the jobs due then with this schedule and time zone, and move
    their next_fire_at to `following` (the same for all of them); return how many runs
    were inserted."""
    ops = connection.ops
    columns = ", ".join(ops.quote_name(column) for column in COLUMNS)
    match_params = [
        ops.adapt_datetimefield_value(firing),
        True,
        schedule,
        time_zone,
        Routing.BROADCAST,
    ]
    if connection.vendor == "mysql":
        reason = "CONCAT('skipped: run ', d.active, ' still active')"
        ignore, on_conflict = "IGNORE", ""
    else:
        reason = "'skipped: run ' || d.active || ' still active'"
        ignore, on_conflict = "", "ON CONFLICT DO NOTHING"
    insert = INSERT_PLANNED.format(
        ignore=ignore,
        columns=columns,
        skipped_reason=reason,
        active=", ".join(["%s"] * len(ACTIVE_STATES)),
        matches=PLANNED_MATCH.format(t="j."),
        on_conflict=on_conflict,
    )
    created = ops.adapt_datetimefield_value(now)
    insert_params = [
        ops.adapt_datetimefield_value(firing),
        RunState.QUEUED,
        RunState.SKIPPED,
        created,
        created,
        False,
        False,
        Concurrency.SKIP,
        *ACTIVE_STATES,
        *match_params,
    ]
    move = MOVE_PLANNED.format(matches=PLANNED_MATCH.format(t=""))
    with connection.cursor() as cursor:
        cursor.execute(insert, insert_params)
        inserted = cursor.rowcount
        cursor.execute(move, [ops.adapt_datetimefield_value(following), *match_params])
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
