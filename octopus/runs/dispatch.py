"""Hand queued runs to workers: the dispatcher's unit of work.

Only the leader dispatches, from one thread, so the concurrency rules (how many runs of a
job may be in flight) are checked without races. Each hand-over is still a conditional
UPDATE, so a run is never given to two workers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from octopus import events
from octopus.jobs.models import Concurrency, Job, Routing
from octopus.runs.command import render_command
from octopus.runs.models import ACTIVE_STATES, Run, RunState, Trigger
from octopus.runs.placement import describe_target, eligible_workers, pick_worker
from octopus.workers.models import Worker, WorkerState

log = logging.getLogger("octopus.dispatch")

BATCH = 500
IN_FLIGHT = (RunState.DISPATCHED, RunState.RUNNING)


def available_workers() -> list[Worker]:
    return list(
        Worker.objects.filter(state=WorkerState.ONLINE, connected_at__isnull=False)
        .exclude(token_hash="")
        .order_by("name")
    )


Slot = tuple[int, str]  # (job id, worker name for a broadcast job's runs, else "")


def _slot(job: Job, fanout_key: str) -> Slot:
    """What the concurrency limit counts: a job's runs, or, for a broadcast job, its runs on
    one worker (a broadcast firing runs everywhere at once by design)."""
    return (job.id, fanout_key if job.routing == Routing.BROADCAST else "")


def _in_flight_by_slot(jobs: dict[int, Job]) -> dict[Slot, int]:
    rows = (
        Run.objects.filter(job_id__in=jobs, state__in=IN_FLIGHT)
        .values("job_id", "fanout_key")
        .annotate(n=Count("id"))
    )
    counts: dict[Slot, int] = defaultdict(int)
    for row in rows:
        counts[_slot(jobs[row["job_id"]], row["fanout_key"])] += row["n"]
    return counts


def _last_worker_by_job(job_ids: set[int]) -> dict[int, int]:
    """Where each job's newest run that went to a worker went: one query, in which each
    job's lookup walks its index from the end."""
    if not job_ids:
        return {}
    last = (
        Run.objects.filter(job=OuterRef("pk"), worker__isnull=False)
        .order_by("-id")
        .values("worker_id")[:1]
    )
    rows = Job.objects.filter(id__in=job_ids).annotate(last=Subquery(last)).order_by()
    return {job_id: worker_id for job_id, worker_id in rows.values_list("id", "last") if worker_id}


def moments_runs_become_due(now: datetime, limit: int = 1000) -> list[datetime]:
    """The next moments at which queued runs become due (firings queued ahead, retries
    waiting out a backoff), soonest first."""
    moments = (
        Run.objects.filter(state=RunState.QUEUED, not_before__gt=now)
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .distinct()[:limit]
    )
    return cast(list[datetime], list(moments))  # none is null: not_before__gt


def _set_waiting_reason(
    runs: QuerySet[Run], reason: str, no_worker_since: datetime | None = None
) -> None:
    # Written only when it changes, so a long wait is not a write on every pass. A wait for
    # a worker starts when that reason is first written: the alert rules raise after a grace.
    runs.filter(state=RunState.QUEUED).exclude(reason=reason).update(
        reason=reason, no_worker_since=no_worker_since
    )


def assign_queued_runs() -> int:
    """Give as many queued runs as possible to workers; return how many were handed out.

    Runs are read per job, and only as many as the job may start now: a backlog of
    thousands of queued runs behind a busy job costs one aggregate row, not thousands of
    objects on every pass (the dispatcher is woken by every run that ends)."""
    now = timezone.now()
    ready = Run.objects.filter(state=RunState.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    waiting = _waiting_jobs(ready)
    if not waiting:
        return 0
    job_ids = {row["job_id"] for row in waiting}
    jobs = Job.objects.in_bulk(job_ids)
    if _skip_firings_of_busy_jobs(waiting, jobs, now):
        waiting = _waiting_jobs(ready)
    in_flight = _in_flight_by_slot(jobs)
    queued: list[Run] = []
    first_only: list[int] = []  # jobs with room for one run: its id is known already
    for row in waiting:
        job = jobs[row["job_id"]]
        broadcast = job.routing == Routing.BROADCAST
        room = BATCH if broadcast else _limit(job) - in_flight[_slot(job, "")]
        if room <= 0:
            _set_waiting_reason(
                ready.filter(job=job), "waiting: another run of this job is in progress"
            )
            continue
        if room == 1:
            first_only.append(row["first"])
            continue
        for run in ready.filter(job=job).order_by("id")[: min(room, BATCH)]:
            run.job = job
            queued.append(run)
    for run in Run.objects.filter(id__in=first_only):
        run.job = jobs[run.job_id]
        queued.append(run)
    queued.sort(key=lambda run: run.id)
    if not queued:
        return 0
    workers = available_workers()
    # Only round robin needs to know where a job's last run went.
    last_worker = _last_worker_by_job(
        {run.job_id for run in queued if run.job.routing == Routing.ROUND_ROBIN}
    )
    by_id = {w.id: w for w in workers}
    handed: list[tuple[Worker, Run]] = []
    # One transaction for the batch: one commit, not one per run.
    with transaction.atomic():
        if connection.features.has_select_for_update:
            # Rows another dispatcher holds (an old leader finishing its pass during a
            # takeover) are skipped, not waited for.
            mine = set(
                Run.objects.select_for_update(skip_locked=True)
                .filter(id__in=[run.id for run in queued], state=RunState.QUEUED)
                .values_list("id", flat=True)
            )
            queued = [run for run in queued if run.id in mine]
        # (SQLite has one writer: the hand-over's conditional UPDATE is the check.)
        for run in queued:
            worker = _choose(run, workers, in_flight, last_worker)
            if worker is None:
                continue
            in_flight[_slot(run.job, run.fanout_key)] += 1
            last_worker[run.job_id] = worker.id
            by_id[worker.id].running_count += 1
            handed.append((worker, run))
        handed = _hand_over(handed)
    # After the commit: the run is the worker's in the database before it arrives.
    if handed:
        events.send(events.runs_handed_over, handed=handed)
        events.runs_changed((run.id, run.job_id) for _, run in handed)
    return len(handed)


def _waiting_jobs(ready: QuerySet[Run]) -> list[Mapping[str, Any]]:
    """Per job with runs ready to go: its first such run, and how many are firings."""
    firings = Count("id", filter=Q(trigger=Trigger.SCHEDULE))
    rows = ready.values("job_id").annotate(first=Min("id"), firings=firings)
    return list(rows.order_by("first")[:BATCH])


def _skip_firings_of_busy_jobs(
    waiting: list[Mapping[str, Any]], jobs: dict[int, Job], now: datetime
) -> int:
    """The `skip` rule, settled when a firing is due: a firing of a skip job is skipped if
    another run of the job is active then (in flight, queued, or waiting to retry); of
    several firings due at once, the earliest is kept. Firings queued ahead reach here at
    their second. Return how many were skipped."""
    job_ids = [
        row["job_id"] for row in waiting if row["firings"] and _skips_firings(jobs[row["job_id"]])
    ]
    if not job_ids:
        return 0
    active = (
        Run.objects.filter(job_id__in=job_ids, state__in=ACTIVE_STATES)
        .exclude(Run.ahead_of_their_second(now))
        .order_by("id")
        .values_list("id", "job_id", "trigger", "state", "scheduled_for")
    )
    firings: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    others: dict[int, int] = {}
    for run_id, job_id, trigger, state, scheduled_for in active:
        # Runs read here as queued firings are all due: the ones ahead were left out.
        if trigger == Trigger.SCHEDULE and state == RunState.QUEUED:
            assert scheduled_for is not None  # set on every scheduled firing
            firings[job_id].append((scheduled_for, run_id))
        else:
            others.setdefault(job_id, run_id)
    skipped = 0
    for job_id, due in firings.items():
        due.sort()
        blocker = others.get(job_id, due[0][1])
        surplus = [run_id for _, run_id in due if run_id != blocker]
        if surplus:
            skipped += Run.objects.filter(id__in=surplus, state=RunState.QUEUED).update(
                state=RunState.SKIPPED,
                reason=f"skipped: run {blocker} still active",
                finished_at=now,
            )
            events.runs_changed((run_id, job_id) for run_id in surplus)
    return skipped


def _skips_firings(job: Job) -> bool:
    # A broadcast firing is one run per worker, limited per worker instead.
    return job.concurrency == Concurrency.SKIP and job.routing != Routing.BROADCAST


def _limit(job: Job) -> int:
    return job.max_parallel if job.concurrency == Concurrency.ALLOW else 1


def _choose(
    run: Run, workers: list[Worker], in_flight: dict[Slot, int], last_worker: dict[int, int]
) -> Worker | None:
    """The worker for this run now, or None (with the waiting reason recorded)."""
    job = run.job
    if in_flight[_slot(job, run.fanout_key)] >= _limit(job):
        reason = "waiting: another run of this job is in progress"
        if run.reason != reason:
            _set_waiting_reason(Run.objects.filter(id=run.id), reason)
        return None
    candidates = eligible_workers(job, workers, run.fanout_key)
    if not candidates:
        reason = f"waiting: no online worker matches {describe_target(job)}"
        now = timezone.now()
        if run.reason != reason:
            _set_waiting_reason(Run.objects.filter(id=run.id), reason, no_worker_since=now)
            run.reason, run.no_worker_since = reason, now
        events.send(events.run_waiting_for_worker, run=run, now=now)
        return None
    return pick_worker(job, candidates, last_worker.get(job.id))


def _hand_over(choices: list[tuple[Worker, Run]]) -> list[tuple[Worker, Run]]:
    """Write the choices: one UPDATE per (worker, command, cursor), so a burst of runs of
    one job costs one statement per worker, not one per run. The rows are locked by the
    caller (SQLite: its writer lock), so each UPDATE takes all its runs; a shortfall would
    mean another writer got there, and only the runs really handed are returned."""
    now = timezone.now()
    groups: dict[tuple[int, str, str], list[tuple[Worker, Run]]] = defaultdict(list)
    for worker, run in choices:
        cursor = run.job.cursor if run.cursor_start is None else run.cursor_start
        command = render_command(run.job.command, run.args, cursor)
        groups[(worker.id, cursor, command)].append((worker, run))
    handed: list[tuple[Worker, Run]] = []
    for (worker_id, cursor, command), group in groups.items():
        fields = {
            "state": RunState.DISPATCHED,
            "worker_id": worker_id,
            "dispatched_at": now,
            "cursor_start": cursor,
            "command": command,
            "reason": "",
            "no_worker_since": None,
        }
        ids = [run.id for _, run in group]
        updated = Run.objects.filter(id__in=ids, state=RunState.QUEUED).update(**fields)
        if updated != len(ids):
            taken = set(
                Run.objects.filter(id__in=ids, worker_id=worker_id, dispatched_at=now).values_list(
                    "id", flat=True
                )
            )
            group = [(worker, run) for worker, run in group if run.id in taken]
        for worker, run in group:
            for name, value in fields.items():
                setattr(run, name, value)
            run.worker = worker
            handed.append((worker, run))
    handed.sort(key=lambda pair: pair[1].id)
    log.debug("handed %d run(s) to workers", len(handed))
    return handed
