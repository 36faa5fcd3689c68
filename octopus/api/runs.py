"""Runs over the API: list with filters, one run, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from octopus.accounts import audit, roles
from octopus.api.auth import AuthenticatedRequest
from octopus.api.errors import ApiError
from octopus.api.pagination import Page, PageIn, paged
from octopus.api.params import ID_MAX, ObjectId
from octopus.runs import lifecycle
from octopus.runs.models import Run, RunState, Trigger
from octopus.runs.run_filters import FAILING, SINCE, RunFilter, filtered_runs

router = Router(tags=["runs"])

StateName = Literal[tuple(RunState.values)]  # type: ignore[valid-type]
TriggerName = Literal[tuple(Trigger.values)]  # type: ignore[valid-type]


class RunOut(Schema):
    id: int
    job_id: int
    job: str = Field(description="Job name.")
    trigger: str
    state: str
    reason: str
    attempt: int
    retry_of: int | None = Field(description="The run this one retries.")
    args: list[str]
    cursor_start: str | None
    command: str
    triggered_by: str | None
    worker: str | None
    pid: int | None
    exit_code: int | None
    signal: int | None
    scheduled_for: datetime | None
    created: datetime
    dispatched_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None = Field(description="Seconds from start to finish.")
    log_lines: int
    cancel_requested_at: datetime | None

    @staticmethod
    def resolve_job(run: Run) -> str:
        return run.job.name

    @staticmethod
    def resolve_retry_of(run: Run) -> int | None:
        return run.retry_of_id

    @staticmethod
    def resolve_args(run: Run) -> list[str]:
        return [str(arg) for arg in run.args]

    @staticmethod
    def resolve_triggered_by(run: Run) -> str | None:
        return run.triggered_by.get_username() if run.triggered_by else None

    @staticmethod
    def resolve_worker(run: Run) -> str | None:
        return run.worker.name if run.worker else None


class RunFilters(Schema):
    """The runs page's filters (octopus/runs/run_filters.py), by the same names."""

    job: str | None = Field(None, description="Job name (exact).")
    job_id: int | None = Field(None, ge=1, le=ID_MAX)
    state: Literal[(*RunState.values, FAILING)] | None = Field(  # type: ignore[valid-type]
        None, description="A state, or 'failing' for any failure."
    )
    trigger: TriggerName | None = None  # type: ignore[valid-type]  # built from choices
    since: Literal[tuple(SINCE)] | None = Field(  # type: ignore[valid-type]
        None, description="Created within the last 1h, 24h, 7d or 30d."
    )
    worker: str | None = Field(None, description="Worker name (exact).")
    after_id: int | None = Field(
        None, ge=0, le=ID_MAX, description="Only runs with a higher id (newer)."
    )
    order: Literal["newest", "oldest"] = "newest"


def runs_query():
    return Run.objects.select_related("job", "worker", "triggered_by")


def get_run_for(request: HttpRequest, run_id: int) -> Run:
    """The run, if it exists and the caller may see it (404 either way, never a hint)."""
    run = runs_query().filter(pk=run_id).first()
    if run is None or not roles.can_view_run(request.user, run):
        raise ApiError(404, f"run {run_id} not found")
    return run


@router.get("/runs", response=Page[RunOut], summary="List runs, newest first")
def list_runs(request: HttpRequest, filters: Query[RunFilters], page: Query[PageIn]):
    given = filters.model_dump(exclude_none=True)
    oldest_first = given.pop("order") == "oldest"
    f = RunFilter(**given, oldest_first=oldest_first)
    return paged(request, filtered_runs(f, roles.runs_visible_to(request.user, runs_query())), page)


@router.get("/runs/{run_id}", response=RunOut, summary="One run")
def get_run(request: HttpRequest, run_id: ObjectId):
    return get_run_for(request, run_id)


@router.post(
    "/runs/{run_id}/cancel",
    response=RunOut,
    summary="Cancel a run",
    description=(
        "A queued run ends cancelled at once. A run in flight gets `cancel_requested_at` "
        "and its worker is told to stop it; it ends `cancelled` when the worker reports."
    ),
)
def cancel_run(request: AuthenticatedRequest, run_id: ObjectId):
    run = get_run_for(request, run_id)
    if not roles.can_cancel_run(request.user, run):
        raise ApiError(403, f"you may not cancel runs of job {run.job.name!r}")
    try:
        outcome = lifecycle.request_cancel(run, request.user)
    except lifecycle.RunAlreadyEnded as exc:
        raise ApiError(409, str(exc)) from None
    audit.record("run.cancel", request=request, obj=run, after={"outcome": outcome})
    return get_run_for(request, run_id)
