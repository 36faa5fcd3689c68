"""What the dashboard shows: one read-only query per panel, nothing cached."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.runs.job_filters import with_last_run, with_next_firing
from octopus.runs.models import FAILURE_STATES, Run, RunState
from octopus.workers.models import Worker, WorkerState

PANEL_ROWS = 10
FIRING_GRACE = timedelta(seconds=5)  # a firing being queued right now still shows


def running_runs() -> QuerySet:
    active = (RunState.QUEUED, RunState.DISPATCHED, RunState.RUNNING)
    return (
        Run.objects.filter(state__in=active)
        .exclude(Run.ahead_of_their_second(timezone.now()))
        .select_related("job", "worker")
        .order_by("-id")
    )


def failing_jobs() -> QuerySet:
    """Jobs whose last run failed (in any way: exit code, timeout, hung, lost)."""
    return (
        with_last_run(Job.objects.all())
        .filter(last_run_state__in=FAILURE_STATES)
        .order_by("-last_run_at")
    )


def workers_online() -> tuple[int, int]:
    """(online, all) workers, revoked ones left out."""
    workers = Worker.objects.exclude(token_hash="")
    return workers.filter(state=WorkerState.ONLINE).count(), workers.count()


def open_alerts() -> int:
    from octopus.alerts.models import Alert, AlertState

    return Alert.objects.filter(state=AlertState.OPEN).count()


def next_firings() -> QuerySet:
    return (
        with_next_firing(Job.objects.filter(enabled=True).exclude(schedule=""))
        .filter(next_firing__gte=timezone.now() - FIRING_GRACE)
        .order_by("next_firing")
    )
