"""When to raise, merge and resolve alerts.

The domain never calls these: it announces what happened (octopus/events.py) and
octopus/alerts/receivers.py maps each announcement onto a trigger here, inside the
transaction of the change, so the alert change and its outbox rows commit with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from octopus.alerts import messages, outbox
from octopus.alerts.models import UNRESOLVED, Alert, AlertKind, AlertState
from octopus.jobs.models import Job
from octopus.lib.logline import LEVELS, level_at_least
from octopus.logs.chunks import STREAM_LEVEL, unpack
from octopus.runs.models import FAILURE_STATES, Run, RunState

if TYPE_CHECKING:

    from octopus.jobs.models import Job
    from octopus.runs.models import Run
    from octopus.workers.models import Worker

log = logging.getLogger("octopus.alerts")

# A later success of the job resolves these.
RESOLVED_BY_SUCCESS = (AlertKind.RUN_FAILED, AlertKind.MISSED_SCHEDULE, AlertKind.NO_WORKER)
MERGE_TRIES = 5  # rounds of the merge protocol before giving up under heavy contention


def merge_key(kind: str, job: Job | None, worker: Worker | None) -> str:
    if job is not None:
        return f"{kind}:job:{job.pk}"
    if worker is not None:
        return f"{kind}:worker:{worker.pk}"
    return f"{kind}:global"


def raise_alert(
    kind: str,
    *,
    job: Job | None = None,
    worker: Worker | None = None,
    run: Run | None = None,
    title: str,
    detail: str = "",
    count: int = 1,
    now: datetime | None = None,
) -> Alert:
    """Record `count` occurrences of an alert; return the alert they went into.

    1. Find the alert holding the merge key (kind + job, or kind + worker).
    2. If it is unresolved and was last seen within the merge window, add to it with one
       conditional UPDATE. One row updated: merged; the summary goes out later.
    3. Otherwise release its key with a conditional UPDATE on last_seen (a concurrent
       merge that got there first wins: go back to 1).
    4. Open a new alert holding the key and queue its first notification at once. The key
       is unique: if another process opened one first, go back to 1.
    """
    now = now or timezone.now()
    key = merge_key(kind, job, worker)
    window = timedelta(seconds=settings.ALERT_MERGE_WINDOW)
    title, detail = title[:300], detail[:4000]
    with transaction.atomic():
        for _ in range(MERGE_TRIES):
            current = Alert.objects.filter(merge_key=key).first()
            if current is not None:
                merged = Alert.objects.filter(
                    pk=current.pk, merge_key=key, state__in=UNRESOLVED, last_seen__gte=now - window
                ).update(
                    count=F("count") + count,
                    last_seen=now,
                    title=title,
                    detail=detail,
                    last_run=run,
                )
                if merged:
                    current.refresh_from_db()
                    return current
                released = Alert.objects.filter(
                    pk=current.pk, merge_key=key, last_seen=current.last_seen
                ).update(merge_key=None)
                if not released:
                    continue  # someone merged into it or released it meanwhile
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        kind=kind,
                        job=job,
                        worker=worker,
                        last_run=run,
                        title=title,
                        detail=detail,
                        count=count,
                        first_seen=now,
                        last_seen=now,
                        merge_key=key,
                        notified_count=1,
                        notified_upto=count,
                        last_notified_at=now,
                    )
            except IntegrityError:
                continue  # another process opened it first: merge into theirs
            log.warning("alert %s opened: %s", alert.pk, title)
            outbox.enqueue(messages.opened(alert), alert, job)
            return alert
    raise RuntimeError(f"could not record alert {key} after {MERGE_TRIES} tries")


def resolve_alerts(
    *,
    kinds: Iterable[str],
    reason: str,
    job: Job | None = None,
    worker: Worker | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """Resolve the unresolved alerts of the job (or worker) of these kinds and queue one
    recovery notice for them all. Return the alerts this call resolved."""
    now = now or timezone.now()
    q = Alert.objects.filter(state__in=UNRESOLVED, kind__in=list(kinds))
    q = q.filter(job=job) if job is not None else q.filter(worker=worker, job=None)
    unresolved = list(q.select_related("job", "worker").order_by("-last_seen"))
    if not unresolved:
        return []  # the common case (a success with nothing to resolve): one cheap query
    resolved = []
    with transaction.atomic():
        for alert in unresolved:
            updated = Alert.objects.filter(pk=alert.pk, state__in=UNRESOLVED).update(
                state=AlertState.RESOLVED, resolved_at=now, merge_key=None, resolution=reason[:300]
            )
            if updated:  # else someone resolved it by hand meanwhile
                alert.state, alert.resolved_at, alert.resolution = AlertState.RESOLVED, now, reason
                resolved.append(alert)
        if resolved:
            log.info("resolved %d alert(s): %s", len(resolved), reason)
            outbox.enqueue(messages.recovery(resolved, reason), resolved[0], job)
    return resolved


# Triggers, one per announcement (octopus/alerts/receivers.py).


def run_ended(run: Run) -> None:
    """A run reached its final state: a failure raises, a success resolves."""
    runs_ended([run])


def runs_ended(runs: Iterable[Run]) -> None:
    """Runs reached their final states, in this order. Successes in a row cost one query
    together (finding the few jobs with something to resolve), not one each."""
    successes: list[Run] = []
    for run in runs:
        if run.state == RunState.SUCCEEDED:
            successes.append(run)
        elif run.state in FAILURE_STATES:
            # In order: a success before this failure resolves before it raises.
            _resolve_for_successes(successes)
            successes = []
            _raise_for_failure(run)
    _resolve_for_successes(successes)


def _raise_for_failure(run: Run) -> None:
    job = run.job
    where = f" on {run.worker.name}" if run.worker is not None else ""
    raise_alert(
        AlertKind.RUN_FAILED,
        job=job,
        run=run,
        title=f"{job.name} {RunState(run.state).label.lower()}: {run.reason or run.state}",
        detail=f"Run #{run.pk}{where}, attempt {run.attempt}: {run.reason or run.state}",
    )


def _resolve_for_successes(successes: list[Run]) -> None:
    if not successes:
        return
    latest = {run.job_id: run for run in successes}  # the last success of each job
    jobs_with_alerts = set(
        Alert.objects.filter(
            state__in=UNRESOLVED, kind__in=RESOLVED_BY_SUCCESS, job_id__in=list(latest)
        ).values_list("job_id", flat=True)
    )
    for job_id in sorted(jobs_with_alerts):
        run = latest[job_id]
        resolve_alerts(
            job=run.job,
            kinds=RESOLVED_BY_SUCCESS,
            reason=f"{run.job.name} succeeded in run #{run.pk}",
        )


def schedule_missed(job: Job, missed: list[datetime]) -> None:
    """The scheduler was not up for these firings of the job."""
    raise_alert(
        AlertKind.MISSED_SCHEDULE,
        job=job,
        count=len(missed),
        title=f"{job.name} missed {len(missed)} scheduled firing(s)",
        detail=f"Missed firings from {messages.when(missed[0])} to {messages.when(missed[-1])}.",
    )


def run_waiting_for_worker(run: Run, now: datetime) -> None:
    """Called by the dispatcher for a queued run that no online worker may take. Raise
    once per run, when it has waited longer than the grace period."""
    since = run.no_worker_since
    grace = timedelta(seconds=settings.ALERT_NO_WORKER_GRACE)
    if since is None or run.no_worker_alerted or now - since < grace:
        return
    if not Run.objects.filter(pk=run.pk, no_worker_alerted=False).update(no_worker_alerted=True):
        return  # raised already
    run.no_worker_alerted = True
    waited = int((now - since).total_seconds())
    raise_alert(
        AlertKind.NO_WORKER,
        job=run.job,
        run=run,
        now=now,
        title=f"{run.job.name}: no eligible worker for {waited} s",
        detail=f"Run #{run.pk} is queued: {run.reason}",
    )


def worker_found(run: Run) -> None:
    """A run that had waited for a worker was handed to one."""
    resolve_alerts(
        job=run.job,
        kinds=[AlertKind.NO_WORKER],
        reason=f"run #{run.pk} of {run.job.name} went to a worker",
    )


def worker_went_offline(worker: Worker, silence: int, lost_runs: int) -> None:
    detail = f"Silent for {silence} s."
    if lost_runs:
        detail += f" {lost_runs} run(s) in flight were lost."
    raise_alert(
        AlertKind.WORKER_OFFLINE,
        worker=worker,
        title=f"worker {worker.name} is offline",
        detail=detail,
    )


def worker_came_back(worker: Worker) -> None:
    resolve_alerts(
        worker=worker,
        kinds=[AlertKind.WORKER_OFFLINE],
        reason=f"worker {worker.name} is back online",
    )


def log_lines_stored(run: Run, blocks: Iterable[tuple[int, int, float, str, str]]) -> Alert | None:
    """A batch of a run's output was stored; `blocks` are its lines as stored, blocks of
    (first_seq, last_seq, ts, kinds, text) (octopus.logs.ingest). Lines at or above the
    job's alert level raise one alert for the batch.

    `run.log_lines` must still hold the highest seq stored before this batch: lines at or
    below it were judged before (a batch sent again after a reconnect) and are skipped.
    """
    threshold = Job.objects.filter(pk=run.job_id).values_list("alert_level", flat=True).first()
    if threshold in (None, "none"):
        return None
    # The kinds that alert, worked out once; a block is looked into only when it holds
    # one of them: this runs for every batch of output.
    alerting = {
        kind for kind, (_, level) in STREAM_LEVEL.items() if level_at_least(level, threshold)
    }
    after = run.log_lines
    hits = [
        (STREAM_LEVEL[kind][1], text)
        for first, _last, _ts, kinds, block in blocks
        if not alerting.isdisjoint(kinds)
        for seq, kind, text in unpack(first, kinds, block)
        if kind in alerting and seq > after
    ]
    if not hits:
        return None
    worst = min((lvl for lvl, _ in hits), key=LEVELS.index)
    job = run.job
    more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
    return raise_alert(
        AlertKind.LOG_LEVEL,
        job=job,
        run=run,
        count=len(hits),
        title=f"{job.name} logged {worst} lines",
        detail=f"Run #{run.pk}: {hits[0][1][:1000]}{more}",
    )
