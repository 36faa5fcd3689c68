"""The scheduler: due firings → queued runs.

Each job keeps `next_fire_at`, its next firing not yet queued. Firings are queued a few
seconds ahead of their second (`queue_ahead`), as runs the dispatcher hands out from that
second on; what was not queued ahead (a broadcast job, a firing the scheduler was down for)
is settled when due (`fire_due_jobs`). Either way, in one transaction: `next_fire_at` moves
on with a conditional UPDATE (whoever changes it first owns these firings) and the runs are
inserted. (job, scheduled_for) is unique as well, so a firing is queued once even if two
schedulers raced.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from octopus import events
from octopus.cluster.wakeups import wake_scheduler
from octopus.jobs.changes import JobBusy
from octopus.jobs.models import Job, Misfire, Routing
from octopus.lib.cron import CronError, fire_times_between, next_fire_time
from octopus.runs import firings
from octopus.runs.dispatch import available_workers
from octopus.runs.models import Run, RunState
from octopus.runs.placement import eligible_workers

log = logging.getLogger("octopus.scheduler")

# A firing later than this counts as missed (or half its period, for frequent jobs: an
# every-second job 2 s late has missed a firing, not merely started late).
MISFIRE_GRACE = timedelta(seconds=5)
MAX_MISSED_RECORDED = 100
MAX_FIRINGS_COUNTED = 100_000


def compute_next_fire(job: Job, after: datetime) -> datetime | None:
    if not (job.enabled and job.schedule):
        return None
    try:
        return next_fire_time(job.schedule, job.time_zone, after)
    except CronError:
        log.error("job %s has an invalid schedule %r; not scheduling it", job.name, job.schedule)
        return None


def reschedule(job: Job, now: datetime | None = None) -> None:
    """Set the job's next firing from now (after it was created, edited or enabled). Runs
    queued ahead for seconds still to come go: they were written from the job as it was,
    and are written again from the job as it is now if it still fires then."""
    now = now or timezone.now()
    Run.objects.filter(Q(job=job) & Run.ahead_of_their_second(now)).delete()
    job.next_fire_at = compute_next_fire(job, now)
    Job.objects.filter(pk=job.pk).update(next_fire_at=job.next_fire_at)


def on_job_changed(job: Job, **_: Any) -> None:
    """A job was created, edited, enabled or disabled (inside that transaction): its next
    firing follows, and the scheduler wakes once it is committed."""
    reschedule(job)
    transaction.on_commit(wake_scheduler)


def refuse_deleting_busy_job(job: Job, **_: Any) -> None:
    """A job with runs in flight may not be deleted: they would be orphaned on their
    worker."""
    in_flight = job.runs.filter(state__in=(RunState.DISPATCHED, RunState.RUNNING)).count()
    if in_flight:
        raise JobBusy(
            gettext("job %(name)s has %(count)s run(s) in flight; cancel them or wait first")
            % {"name": repr(job.name), "count": in_flight}
        )


MAX_DUE_PER_TICK = 20_000
FAST_FIELDS = (
    "id",
    "next_fire_at",
    "schedule",
    "time_zone",
    "routing",
    "concurrency",
    "default_args",
)
SQL_CHUNK = 900  # ids per statement: below SQLite's limit on bound parameters

# (schedule, time zone, firing) → the firing after it, computed once for all the jobs that
# share a schedule.
_following: dict[tuple[str, str, datetime], datetime | None] = {}


def _following_firing(firing: datetime, schedule: str, time_zone: str) -> datetime | None:
    key = (schedule, time_zone, firing)
    if key not in _following:
        if len(_following) > 200_000:
            _following.clear()
        try:
            _following[key] = next_fire_time(schedule, time_zone, firing)
        except CronError:
            _following[key] = None
    return _following[key]


# Firings are written this long before their second, as queued runs not handed out before
# it (Run.not_before): when the second comes nothing is left to write, however many jobs
# share it, and the dispatcher, woken for that second, hands them out. What can only be
# known at the second is settled then by the dispatcher (the `skip` rule, runs/dispatch.py);
# a job edited, disabled or deleted meanwhile loses its early runs (`reschedule`).
QUEUE_AHEAD = timedelta(seconds=3)


def queue_ahead(now: datetime) -> list[tuple[datetime, int]]:
    """Queue the firings due within QUEUE_AHEAD, one per job (the caller goes again while
    there are more): one INSERT and one UPDATE per group of jobs sharing a firing, schedule
    and time zone, since they share the firing after it too. Broadcast jobs are left to the
    second (their runs depend on the workers online then). Return (firing, runs queued)."""
    soon = (
        Job.objects.filter(enabled=True, next_fire_at__gt=now, next_fire_at__lte=now + QUEUE_AHEAD)
        .exclude(schedule="")
        .exclude(routing=Routing.BROADCAST)
        .order_by()
        .values_list("next_fire_at", "schedule", "time_zone")
        .distinct()
    )
    groups: dict[datetime, list[tuple[str, str, datetime]]] = defaultdict(list)
    for firing, schedule, time_zone in soon[:MAX_DUE_PER_TICK]:
        assert firing is not None  # next_fire_at__gt above
        following = _following_firing(firing, schedule, time_zone)
        if following is not None:  # else the general path settles it at the second
            groups[firing].append((schedule, time_zone, following))
    queued: list[tuple[datetime, int]] = []
    for firing in sorted(groups):
        started = time.monotonic()
        with transaction.atomic():
            count = sum(
                firings.queue_ahead(schedule, time_zone, firing, following, timezone.now())
                for schedule, time_zone, following in groups[firing]
            )
        if count:
            # bench/scheduler.py reads this line: keep its shape.
            log.info(
                "queued %d firing(s) ahead in %.1f ms (due %s, committed %.1f ms before it)",
                count,
                (time.monotonic() - started) * 1000,
                firing.isoformat(),
                (firing - timezone.now()).total_seconds() * 1000,
            )
            queued.append((firing, count))
    return queued


def _on_time(first: datetime, following: datetime | None, now: datetime) -> bool:
    """Exactly one firing (`first`) is due and it is not late."""
    if following is None or following <= now:
        return False
    return now - first <= min(MISFIRE_GRACE, (following - first) / 2)


def _on_time_once(job: dict, following: datetime | None, now: datetime) -> bool:
    """The common case for one job: its one due firing is on time (and not a broadcast)."""
    return job["routing"] != Routing.BROADCAST and _on_time(job["next_fire_at"], following, now)


def _log_tick(count: int, started: float, firing: datetime, now: datetime) -> None:
    # bench/scheduler.py reads this line: keep its shape.
    log.info(
        "queued %d on-time firing(s) in %.1f ms (due %s, %.1f ms late)",
        count,
        (time.monotonic() - started) * 1000,
        firing.isoformat(),
        (now - firing).total_seconds() * 1000,
    )


def fire_due_jobs(now: datetime) -> int:
    """Queue every due firing; return how many runs were queued or recorded."""
    due = Job.objects.filter(enabled=True, next_fire_at__lte=now).exclude(schedule="")
    simple: list[tuple[dict, datetime]] = []
    others: list[int] = []
    for job in due.order_by("next_fire_at").values(*FAST_FIELDS)[:MAX_DUE_PER_TICK]:
        following = _following_firing(job["next_fire_at"], job["schedule"], job["time_zone"])
        if _on_time_once(job, following, now):
            simple.append((job, following))  # type: ignore[arg-type]
        else:
            others.append(job["id"])
    started = time.monotonic()
    count = _fire_on_time(simple)
    if simple:
        _log_tick(len(simple), started, simple[0][0]["next_fire_at"], now)
    for job in Job.objects.filter(id__in=others).order_by("next_fire_at"):
        count += fire_job(job, now)
    # Jobs enabled with a schedule but never computed (e.g. created by an import).
    for job in Job.objects.filter(enabled=True, next_fire_at__isnull=True).exclude(schedule=""):
        reschedule(job, now)
    return count


def fire_job(job: Job, now: datetime) -> int:
    first = job.next_fire_at
    assert first is not None
    try:
        later = fire_times_between(job.schedule, job.time_zone, first, now, MAX_FIRINGS_COUNTED)
    except CronError:
        Job.objects.filter(pk=job.pk, next_fire_at=first).update(next_fire_at=None)
        return 0
    times = [first, *later]
    following = compute_next_fire(job, now)
    on_time: list[datetime] = []
    missed: list[datetime] = []
    for firing, next_firing in zip(times, [*times[1:], following], strict=True):
        period = (next_firing - firing) if next_firing else MISFIRE_GRACE * 2
        late = now - firing > min(MISFIRE_GRACE, period / 2)
        (missed if late else on_time).append(firing)
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job.pk, next_fire_at=first).update(next_fire_at=following)
        if not claimed:
            return 0  # another scheduler took these firings
        created = _record_missed(job, missed, catch_up=not on_time)
        queued = [run for scheduled_for in on_time for run in _firings(job, scheduled_for)]
        created += firings.record(queued, timezone.now(), count=True)
    return created


def _fire_on_time(due: list[tuple[dict, datetime]]) -> int:
    """Queue one on-time firing for each job, in bulk: one UPDATE per group of jobs with the
    same firing times, one multi-row INSERT.

    Moving `next_fire_at` is a conditional UPDATE, and (job, scheduled_for) is unique with
    conflicts ignored: a firing is queued once even if another scheduler raced us."""
    if not due:
        return 0
    groups: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for job, following in due:
        groups[(job["next_fire_at"], following)].append(job["id"])
    with transaction.atomic():
        for (first, following), ids in groups.items():
            for chunk in _chunks(ids):
                Job.objects.filter(id__in=chunk, next_fire_at=first).update(next_fire_at=following)
        queued = [
            firings.Firing(job["id"], job["next_fire_at"], job["default_args"]) for job, _ in due
        ]
        return firings.record(queued, timezone.now())


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + SQL_CHUNK] for i in range(0, len(ids), SQL_CHUNK)]


def _record_missed(job: Job, missed: list[datetime], catch_up: bool) -> int:
    """Firings the scheduler was not up for. `run_once` queues the latest as a catch-up
    run (unless an on-time firing follows anyway); the rest are recorded as skipped."""
    if not missed:
        return 0
    log.warning("job %s missed %d firing(s) since %s", job.name, len(missed), missed[0])
    events.send(events.firings_missed, job=job, missed=missed)
    run_latest = catch_up and job.misfire_policy == Misfire.RUN_ONCE
    skipped = missed[:-1] if run_latest else missed
    recorded = [
        firings.Firing(
            job.id,
            scheduled_for,
            job.default_args,
            state=RunState.SKIPPED,
            reason=f"missed: the scheduler was down at {scheduled_for:%Y-%m-%d %H:%M:%S} UTC",
        )
        for scheduled_for in skipped[-MAX_MISSED_RECORDED:]
    ]
    if run_latest:
        recorded += _firings(job, missed[-1], note="catch-up run for a missed firing")
    return firings.record(recorded, timezone.now(), count=True)


def _firings(job: Job, scheduled_for: datetime, note: str = "") -> list[firings.Firing]:
    """The runs of one firing: one, or one per eligible worker online for a broadcast."""
    one = firings.Firing(job.id, scheduled_for, job.default_args, note=note)
    if job.routing != Routing.BROADCAST:
        return [one]
    workers = eligible_workers(job, available_workers())
    if not workers:
        return [one]
    return [
        firings.Firing(job.id, scheduled_for, job.default_args, note=note, fanout_key=w.name)
        for w in workers
    ]


def seconds_until_next_tick(now: datetime, cap: float) -> float:
    """Until the next work: a firing to queue ahead (QUEUE_AHEAD before its second) or one
    due (its second), at most `cap`."""
    scheduled = Job.objects.filter(enabled=True, next_fire_at__isnull=False)
    moments = [
        scheduled.order_by("next_fire_at").values_list("next_fire_at", flat=True).first(),
    ]
    later = (
        scheduled.filter(next_fire_at__gt=now + QUEUE_AHEAD)
        .exclude(routing=Routing.BROADCAST)
        .order_by("next_fire_at")
        .values_list("next_fire_at", flat=True)
        .first()
    )
    if later is not None:
        moments.append(later - QUEUE_AHEAD)
    soonest = min((m for m in moments if m is not None), default=None)
    if soonest is None:
        return cap
    return max(0.0, min(cap, (soonest - now).total_seconds()))
