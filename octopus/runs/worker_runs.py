"""A worker's runs as its connection sees them: what to send it, what to cancel, what it
must abandon."""

from __future__ import annotations

from octopus.runs.command import run_spec
from octopus.runs.models import Run, RunState
from octopus.workers.models import Worker
from octopus_agent import protocol

IN_FLIGHT = (RunState.DISPATCHED, RunState.RUNNING)


def runs_to_abandon(worker: Worker, running: list[int]) -> list[int]:
    """Runs the worker says it is running that are no longer its own (given away or
    ended while it was out of touch): it must kill them."""
    if not running:
        return []
    still_ours = set(
        Run.objects.filter(id__in=running, worker=worker, state__in=IN_FLIGHT).values_list(
            "id", flat=True
        )
    )
    return [run_id for run_id in running if run_id not in still_ours]



def pending_runs(worker: Worker, exclude: set[int]) -> list[protocol.RunSpec]:
    """Runs handed to this worker and not yet started, as specs to send."""
    runs = (
        Run.objects.filter(worker=worker, state=RunState.DISPATCHED)
        .exclude(id__in=exclude)
        .select_related("job")
        .order_by("id")
    )
    return [run_spec(run) for run in runs]


def runs_to_cancel(worker: Worker, exclude: set[int]) -> list[tuple[int, str]]:
    """In-flight runs of this worker someone asked to cancel: (run id, reason) to send."""
    runs = (
        Run.objects.filter(worker=worker, state__in=IN_FLIGHT, cancel_requested_at__isnull=False)
        .exclude(id__in=exclude)
        .order_by("id")
    )
    return [(run.id, run.reason or "cancelled") for run in runs]
