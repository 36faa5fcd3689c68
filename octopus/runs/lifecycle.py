"""A run's life: queued → dispatched → running → a final state, and retries.

Every transition that two processes could race on is a conditional UPDATE whose row count
says who won. Times are aware UTC.
"""

from __future__ import annotations

import logging
import signal as signals
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from octopus import events
from octopus.cluster.wakeups import dispatch_now, wake_dispatcher
from octopus.jobs.models import Backoff, Concurrency, Job, Routing
from octopus.runs import sql
from octopus.runs.dispatch import available_workers
from octopus.runs.models import ACTIVE_STATES, FAILURE_STATES, Run, RunState, Trigger
from octopus.runs.placement import eligible_workers
from octopus_agent import protocol

log = logging.getLogger("octopus.runs")

IN_FLIGHT = (RunState.DISPATCHED, RunState.RUNNING)


def queue_manual_run(
    job: Job,
    user: User | None,
    args: list[str] | None = None,
    cursor: str | None = None,
    trigger: str = Trigger.MANUAL,
) -> Run:
    """An ad-hoc run. Temporary args and cursor apply to this run only. Under the `skip`
    concurrency rule a run asked for while another is active is recorded as skipped."""
    fields = {
        "job": job,
        "trigger": trigger,
        "args": job.default_args if args is None else args,
        "cursor_start": cursor,
        "triggered_by": user if user and user.is_authenticated else None,
    }
    if job.concurrency == Concurrency.SKIP:
        active = (
            Run.objects.filter(job=job, state__in=ACTIVE_STATES)
            .exclude(Run.ahead_of_their_second(timezone.now()))
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        if active is not None:
            skipped = Run.objects.create(
                **fields,
                state=RunState.SKIPPED,
                reason=f"skipped: run {active} still active",
                finished_at=timezone.now(),
            )
            events.runs_changed([(skipped.id, job.id)])
            return skipped
    if job.routing == Routing.BROADCAST:
        # One run per matching worker online now, as for a scheduled firing.
        targets = eligible_workers(job, available_workers())
        runs = [Run.objects.create(**fields, fanout_key=w.name) for w in targets]
        if runs:
            events.runs_changed((run.id, job.id) for run in runs)
            transaction.on_commit(dispatch_now)
            return runs[0]
    run = Run.objects.create(**fields)
    events.runs_changed([(run.id, job.id)])
    transaction.on_commit(dispatch_now)  # someone is waiting for it
    return run


def mark_started_many(worker_id: int, starts: dict[int, tuple[int, datetime]]) -> list[int]:
    """Record that the worker started these runs (run id → pid, start time) in one go.
    Return the runs that are no longer the worker's to run (lost, cancelled...)."""
    if not starts:
        return []
    ids = list(starts)
    updated = sql.mark_started(worker_id, starts)
    if updated == len(ids):
        events.runs_changed((run_id, None) for run_id in ids)
        return []
    # Sent again after a reconnect: already running here is fine.
    running = set(
        Run.objects.filter(id__in=ids, worker_id=worker_id, state=RunState.RUNNING).values_list(
            "id", flat=True
        )
    )
    events.runs_changed((run_id, None) for run_id in ids if run_id in running)
    return [i for i in ids if i not in running]


def signal_name(number: int) -> str:
    try:
        return signals.Signals(number).name
    except ValueError:
        return f"signal {number}"


def judge(run: Run, report: dict) -> tuple[str, str]:
    """The success rule: (state, reason) for what the worker reported.

    A run succeeded only if its process exited 0, within its timeout, and, when the job
    requires it, printed an end line (code 120). Anything else fails with a reason.
    """
    outcome = report.get("outcome")
    reason = report.get("reason") or ""
    if outcome == protocol.OUTCOME_EXITED:
        if report.get("signal"):
            return RunState.FAILED, reason or f"killed by {signal_name(report['signal'])}"
        code = report.get("exit_code")
        if code != 0:
            return RunState.FAILED, f"exit code {code}"
        if run.job.require_end_marker and not run.saw_end_marker:
            return RunState.FAILED, "exit code 0 but no end line (code 120) was printed"
        return RunState.SUCCEEDED, ""
    if outcome == protocol.OUTCOME_TIMED_OUT:
        return RunState.TIMED_OUT, reason or "timed out"
    if outcome == protocol.OUTCOME_HUNG:
        return RunState.HUNG, reason or "hung"
    if outcome == protocol.OUTCOME_CANCELLED:
        return RunState.CANCELLED, reason or "cancelled"
    if outcome == protocol.OUTCOME_FENCED:
        return RunState.LOST, reason or "lost: stopped by its worker, which lost its lease"
    if outcome == protocol.OUTCOME_ORPHANED:
        return RunState.LOST, reason or "lost: the worker agent died while it ran"
    return RunState.FAILED, reason or "could not start"


def finish_runs(reports: list[tuple[int, int, dict]]) -> list[Run]:
    """Apply workers' final reports, (run id, worker id, report) in the order they came:
    one read and one write for them all. Only the run's own worker's report counts (one
    from a worker it was taken from is stale). Return the runs this call ended.

    The rows are locked while judged (PostgreSQL, MariaDB; SQLite's writer lock covers the
    whole transaction), so the monitor cannot declare one lost between the read and the
    write."""
    final = []
    for run_id, worker_id, report in reports:
        if report.get("rejected"):
            _requeue_rejected(run_id, worker_id, report.get("reason", ""))
        else:
            final.append((run_id, worker_id, report))
    if not final:
        return []
    with transaction.atomic(savepoint=False):
        found = (
            Run.objects.select_for_update()
            .filter(id__in={run_id for run_id, _, _ in final}, state__in=IN_FLIGHT)
            .order_by("id")  # one lock order for every caller: no deadlock between two
            .only("id", "job_id", "worker_id", "saw_end_marker")  # all a success needs
        )
        in_flight = {run.id: run for run in found}
        if not in_flight:
            return []  # all already ended (a batch sent again), or not theirs
        jobs = Job.objects.in_bulk({run.job_id for run in in_flight.values()})
        ended: list[Run] = []
        rows = []
        for run_id, worker_id, report in final:
            run = in_flight.get(run_id)
            if run is None or run.worker_id != worker_id:
                continue
            del in_flight[run_id]  # a copy of the report later in the batch changes nothing
            run.job = jobs[run.job_id]
            state, reason = judge(run, report)
            finished_at = datetime.fromtimestamp(report["finished_at"], UTC)
            exit_code, signal = report.get("exit_code"), report.get("signal")
            rows.append((run.id, state, reason[:500], exit_code, signal, finished_at))
            ended.append(run)
        sql.finish(rows)
        failed = [row[0] for row in rows if row[1] != RunState.SUCCEEDED]
        if failed:
            # Retries and alerts need the whole run: read again, rarely.
            full = Run.objects.select_related("worker").in_bulk(failed)
            for run in full.values():
                run.job = jobs[run.job_id]
            ended = [full.get(run.id, run) for run in ended]
        for run, (_, state, reason, exit_code, signal, finished_at) in zip(
            ended, rows, strict=True
        ):
            run.state, run.reason, run.finished_at = state, reason, finished_at
            run.exit_code, run.signal = exit_code, signal
        for run in ended:
            after_failure(run)
        events.send(events.runs_ended, runs=ended)
        events.runs_changed((run.id, run.job_id) for run in ended)
    return ended


def _requeue_rejected(run_id: int, worker_id: int, reason: str) -> None:
    """The worker would not take the run (draining): back to the queue for another one."""
    updated = Run.objects.filter(id=run_id, worker_id=worker_id, state=RunState.DISPATCHED).update(
        state=RunState.QUEUED, worker=None, dispatched_at=None, reason=reason
    )
    if updated:
        events.runs_changed([(run_id, None)])
        transaction.on_commit(wake_dispatcher)


def end_in_flight_run(run: Run, state: str, reason: str) -> bool:
    """End a run from the server side (lost, cancelled before it started...)."""
    updated = Run.objects.filter(id=run.id, state__in=(RunState.QUEUED, *IN_FLIGHT)).update(
        state=state, reason=reason[:500], finished_at=timezone.now()
    )
    if updated:
        run.state, run.reason = state, reason
        after_failure(run)
        events.send(events.runs_ended, runs=[run])
        events.runs_changed([(run.id, run.job_id)])
    return bool(updated)


def retry_delay(job: Job, attempt: int) -> timedelta:
    """Backoff before attempt `attempt + 1`."""
    seconds = job.retry_backoff
    if job.retry_backoff_kind == Backoff.EXPONENTIAL:
        seconds = job.retry_backoff * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, job.retry_backoff_max))


def after_failure(run: Run) -> Run | None:
    """Queue the next attempt when the job restarts on failure. Return it, if any."""
    if run.state not in FAILURE_STATES:
        return None
    job = run.job
    if run.attempt > job.retries:
        return None
    retry = Run.objects.create(
        job=job,
        trigger=Trigger.RETRY,
        attempt=run.attempt + 1,
        retry_of=run,
        args=run.args,
        triggered_by=run.triggered_by,
        not_before=timezone.now() + retry_delay(job, run.attempt),
        note=f"attempt {run.attempt + 1} of {job.retries + 1}, after {run.state}",
    )
    log.info("run %s %s; retry %s queued", run.id, run.state, retry.id)
    events.runs_changed([(retry.id, job.id)])
    transaction.on_commit(wake_dispatcher)
    return retry


class RunAlreadyEnded(Exception):
    """The run has already ended; there is nothing to cancel."""


def request_cancel(run: Run, by: User | None) -> str:
    """Cancel a run. Return "cancelled" (it had not started: it ended at once) or
    "requested" (it is in flight: its worker is told to stop it and reports the end).

    1. A queued run ends cancelled with one conditional UPDATE.
    2. Else an in-flight run gets `cancel_requested_at`; the worker's connection sees it
       (nudged now, or at its next poll on another replica) and sends protocol.CANCEL.
    3. Else the run ended meanwhile: RunAlreadyEnded.
    """
    who = by.get_username() if by is not None and by.is_authenticated else "someone"
    now = timezone.now()
    cancelled = Run.objects.filter(id=run.id, state=RunState.QUEUED).update(
        state=RunState.CANCELLED, reason=f"cancelled by {who} before it started", finished_at=now
    )
    if cancelled:
        run.refresh_from_db()
        events.runs_changed([(run.id, run.job_id)])
        return "cancelled"
    Run.objects.filter(id=run.id, state__in=IN_FLIGHT, cancel_requested_at=None).update(
        cancel_requested_at=now, reason=f"cancelled by {who}"
    )
    run.refresh_from_db()
    if run.state in IN_FLIGHT:
        if run.worker_id is not None:
            # Its connection, here or on another replica, sends the worker the cancel.
            events.send_after_commit(events.cancel_requested, worker_id=run.worker_id)
        events.runs_changed([(run.id, run.job_id)])
        return "requested"
    raise RunAlreadyEnded(f"run {run.id} already ended ({run.state})")
