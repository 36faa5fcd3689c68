"""The monitor: what nobody reports. Silent workers go offline and their runs are lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from octopus import events
from octopus.runs import lifecycle
from octopus.runs.models import Run, RunState
from octopus.workers.models import Worker, WorkerState

log = logging.getLogger("octopus.monitor")


def mark_silent_workers_offline(now: datetime) -> int:
    """Workers silent past the timeout go offline; their runs in flight become lost."""
    cutoff = now - timedelta(seconds=settings.WORKER_TIMEOUT)
    silent = Worker.objects.filter(
        state__in=(WorkerState.ONLINE, WorkerState.DRAINING), last_seen__lt=cutoff
    )
    count = 0
    for worker in silent:
        with transaction.atomic():
            updated = Worker.objects.filter(pk=worker.pk, last_seen=worker.last_seen).update(
                state=WorkerState.OFFLINE, connected_at=None
            )
            if not updated:
                continue  # it spoke up meanwhile
            silence = int((now - worker.last_seen).total_seconds()) if worker.last_seen else 0
            log.warning("worker %s is offline (silent for %d s)", worker.name, silence)
            runs = Run.objects.filter(
                worker=worker, state__in=(RunState.DISPATCHED, RunState.RUNNING)
            ).select_related("job")
            lost = 0
            for run in runs:
                lost += lifecycle.end_in_flight_run(
                    run, RunState.LOST, f"lost: worker {worker.name} silent for {silence} s"
                )
            events.send(events.worker_offline, worker=worker, silence=silence, lost_runs=lost)
            count += 1
    return count

