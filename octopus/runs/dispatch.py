"""Hand queued runs to workers: the dispatcher's unit of work.

Only the leader dispatches, from one thread, so the concurrency rules (how many runs of a
job may be in flight) are checked without races. Each hand-over is still a conditional
UPDATE, so a run is never given to two workers.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from octopus.alerts import rules as alert_rules
from octopus.jobs.models import Concurrency, Job
from octopus.runs.command import render_command
from octopus.runs.models import Run, RunState
from octopus.runs.routing import describe_target, eligible_workers, pick_worker
from octopus.workers import hub
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


def _in_flight_by_job(job_ids: set[int]) -> dict[int, int]:
    rows = (
        Run.objects.filter(job_id__in=job_ids, state__in=IN_FLIGHT)
        .values("job_id")
        .annotate(n=Count("id"))
    )
    return {row["job_id"]: row["n"] for row in rows}


def _last_worker_by_job(job_ids: set[int]) -> dict[int, int]:
    result: dict[int, int] = {}
    for job_id in job_ids:
        last = (
            Run.objects.filter(job_id=job_id, worker__isnull=False)
            .order_by("-dispatched_at", "-id")
            .values_list("worker_id", flat=True)
            .first()
        )
        if last is not None:
            result[job_id] = last
    return result


def _set_waiting_reason(run: Run, reason: str, no_worker: bool = False) -> None:
    if run.reason != reason:
        # Waiting for a worker starts now; waiting for anything else is not that.
        run.no_worker_since = timezone.now() if no_worker else None
        Run.objects.filter(id=run.id, state=RunState.QUEUED).update(
            reason=reason, no_worker_since=run.no_worker_since
        )
        run.reason = reason


def assign_queued_runs() -> int:
    """Give as many queued runs as possible to workers; return how many were handed out."""
    now = timezone.now()
    queued = list(
        Run.objects.filter(state=RunState.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .select_related("job", "job__target_worker")
        .order_by("id")[:BATCH]
    )
    if not queued:
        return 0
    workers = available_workers()
    job_ids = {run.job_id for run in queued}
    in_flight = defaultdict(int, _in_flight_by_job(job_ids))
    last_worker = _last_worker_by_job(job_ids)
    by_id = {w.id: w for w in workers}
    assigned = 0
    for run in queued:
        job = run.job
        limit = job.max_parallel if job.concurrency == Concurrency.ALLOW else 1
        if in_flight[job.id] >= limit:
            _set_waiting_reason(run, "waiting: another run of this job is in progress")
            continue
        candidates = eligible_workers(job, workers, run.fanout_key)
        if not candidates:
            reason = f"waiting: no online worker matches {describe_target(job)}"
            _set_waiting_reason(run, reason, no_worker=True)
            alert_rules.run_waiting_for_worker(run, now)
            continue
        worker = pick_worker(job, candidates, last_worker.get(job.id))
        if _hand_over(run, job, worker):
            in_flight[job.id] += 1
            last_worker[job.id] = worker.id
            by_id[worker.id].running_count += 1
            assigned += 1
            hub.nudge(worker.id)
            if run.no_worker_alerted:
                alert_rules.worker_found(run)
    return assigned


def _hand_over(run: Run, job: Job, worker: Worker) -> bool:
    cursor = job.cursor if run.cursor_start is None else run.cursor_start
    updated = Run.objects.filter(id=run.id, state=RunState.QUEUED).update(
        state=RunState.DISPATCHED,
        worker=worker,
        dispatched_at=timezone.now(),
        cursor_start=cursor,
        command=render_command(job.command, run.args, cursor),
        reason="",
        no_worker_since=None,
    )
    if updated:
        log.debug("run %s of %s → %s", run.id, job.name, worker.name)
    return bool(updated)
