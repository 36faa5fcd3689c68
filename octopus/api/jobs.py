"""Jobs over the API: list, read, create, change, delete, enable/disable, run now, and jobs
as code (export, apply).

Each handler: access check → validate → one domain call (octopus.jobs.changes, .apply,
octopus.runs.lifecycle) → respond.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, ValidationError, create_model, field_validator

from octopus.accounts import audit, roles
from octopus.api.auth import AuthenticatedRequest
from octopus.api.errors import ApiError, validation_problems
from octopus.api.pagination import Page, PageIn, paged
from octopus.api.params import ObjectId
from octopus.api.runs import RunOut
from octopus.jobs import as_code, changes
from octopus.jobs.models import Job
from octopus.jobs.spec import SPEC_FIELDS, JobSpec, compact
from octopus.runs.job_filters import NEVER, JobFilter, filtered_jobs, real_runs, with_next_firing
from octopus.runs.lifecycle import queue_manual_run
from octopus.runs.models import Run, RunState, Trigger

router = Router(tags=["jobs"])


class LastRun(Schema):
    id: int
    state: str
    created: datetime
    finished_at: datetime | None


# A job's settings as output: the spec's fields and types, without its input rules.
# (pydantic's stubs cannot take fields as a **dict: its values would meet __config__ too.)
JobSettings = create_model(  # type: ignore[call-overload]
    "JobSettings",
    __base__=Schema,
    **{
        name: (field.annotation, ...)
        for name, field in JobSpec.model_fields.items()
        if name != "alert_routing"
    },
    # Shaped by the alert rules, which may grow it: shown as stored.
    alert_routing=(dict[str, Any], ...),
)


class JobOut(JobSettings):  # type: ignore[misc, valid-type]
    """A job: its settings (as in JobSpec) plus who owns it and where it stands."""

    id: int
    owner: str | None
    cursor: str
    next_fire_at: datetime | None
    created: datetime
    updated: datetime
    last_run: LastRun | None

    @staticmethod
    def resolve_owner(job: Job) -> str | None:
        return job.owner.get_username() if job.owner else None

    @staticmethod
    def resolve_target_worker(job: Job) -> str | None:
        return job.target_worker.name if job.target_worker else None

    @staticmethod
    def resolve_next_fire_at(job: Job) -> datetime | None:
        # The next firing, counting one queued ahead of its second (runs/scheduler.py).
        if hasattr(job, "next_firing"):  # annotated by with_next_firing(): no query per job
            return job.next_firing
        firings = with_next_firing(Job.objects.filter(pk=job.pk)).values_list("next_firing")
        return next((firing for (firing,) in firings), job.next_fire_at)

    @staticmethod
    def resolve_last_run(job: Job) -> Run | dict[str, Any] | None:
        if hasattr(job, "last_run_id"):  # annotated by with_last_run(): no query per job
            if job.last_run_id is None:
                return None
            return {
                "id": job.last_run_id,
                "state": job.last_run_state,  # type: ignore[attr-defined]  # annotated
                "created": job.last_run_created,  # type: ignore[attr-defined]  # annotated
                "finished_at": job.last_run_finished_at,  # type: ignore[attr-defined]  # annotated
            }
        return real_runs().filter(job=job).order_by("-id").first()


# PATCH: any subset of the spec's fields; the merged result must be a valid JobSpec.
JobPatch = create_model(  # type: ignore[call-overload]  # fields as a **dict, as above
    "JobPatch",
    __config__=ConfigDict(extra="forbid"),
    **{
        # Every spec field is annotated: pydantic's `annotation` is None only for no type.
        name: (cast(type[Any], field.annotation) | None, None)
        for name, field in JobSpec.model_fields.items()
    },
)


class JobFilters(Schema):
    """The jobs list page's filters (octopus/runs/job_filters.py), by the same names."""

    q: str | None = Field(None, description="Text in the name, command or description.")
    name: str | None = Field(None, description="Exact name.")
    tag: str | None = None
    owner: str | None = Field(None, description="The owner's user name, or the job's group.")
    worker: str | None = Field(None, description="Target worker name.")
    target: str | None = Field(None, description="Target worker name, or a label it asks for.")
    enabled: bool | None = None
    last: Literal[(*RunState.values, NEVER)] | None = Field(  # type: ignore[valid-type]
        None, description="The state of the job's last run, or 'never'."
    )


class RunNowIn(Schema):
    args: list[str] | None = Field(
        None, description="Arguments for this run only; null: the job's default args."
    )
    cursor: str | None = Field(None, description="Cursor for this run only; null: the job's.")

    @field_validator("args")
    @classmethod
    def _args(cls, value: list[str] | None) -> list[str] | None:
        if value and any("\x00" in arg for arg in value):
            raise ValueError("arguments must not contain NUL characters")
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("the cursor must not contain NUL characters")
        return value


class ExportOut(Schema):
    jobs: list[dict[str, Any]] = Field(description="Job specs; defaults left out.")


class ApplyIn(Schema):
    jobs: list[JobSpec]
    prune: bool = Field(False, description="Delete the jobs not in the list.")
    dry_run: bool = Field(False, description="Only say what would change.")


class Updated(Schema):
    name: str
    changes: dict[str, dict[str, Any]] = Field(description="field → {from, to}")


class ApplyOut(Schema):
    dry_run: bool
    created: list[str]
    updated: list[Updated]
    deleted: list[str]
    unchanged: list[str]


def get_job_for(request: HttpRequest, job_id: int) -> Job:
    """The job, if it exists and the caller may see it (404 either way)."""
    job = Job.objects.select_related("owner", "target_worker").filter(pk=job_id).first()
    if job is None or not roles.can_view_job(request.user, job):
        raise ApiError(404, f"job {job_id} not found")
    return job


def _fresh(job: Job) -> Job:
    """The job as stored now (after a change: `updated`, `next_fire_at` are the database's)."""
    return Job.objects.select_related("owner", "target_worker").get(pk=job.pk)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"{field}: {message}", [{"field": field, "message": message}])


def _save(action, *args) -> Job:
    try:
        return action(*args)
    except changes.InvalidJob as exc:
        raise _invalid(exc.field, str(exc)) from None


@router.get("/jobs", response=Page[JobOut], summary="List jobs by name")
def list_jobs(request: HttpRequest, filters: Query[JobFilters], page: Query[PageIn]):
    given = filters.model_dump(exclude_none=True)
    if "enabled" in given:
        given["enabled"] = "yes" if given["enabled"] else "no"
    visible = roles.jobs_visible_to(request.user, Job.objects.all())
    return paged(request, filtered_jobs(JobFilter(**given), visible), page)


@router.post("/jobs", response={201: JobOut}, summary="Create a job")
def create_job(request: HttpRequest, payload: JobSpec):
    if not roles.can_create_job(request.user):
        raise ApiError(403, "you may not create jobs (needs the operator role)")
    job = _save(changes.create_job, payload, request.user, request)
    return Status(201, _fresh(job))


@router.get("/jobs/export", response=ExportOut, summary="Every job as specs (jobs as code)")
def export_jobs(request: HttpRequest):
    jobs = roles.jobs_visible_to(request.user, Job.objects.select_related("target_worker"))
    return {"jobs": [compact(changes.spec_of(job)) for job in jobs.order_by("name")]}


@router.post(
    "/jobs/apply",
    response=ApplyOut,
    summary="Make the jobs match a list of specs, all or nothing",
    description=(
        "Creates or updates each job by name; with `prune`, deletes the jobs not listed. "
        "The whole list is checked first: any problem (422) or refusal (403) changes "
        "nothing. With `dry_run`, only reports what would change."
    ),
)
def apply_jobs(request: AuthenticatedRequest, payload: ApplyIn):
    try:
        plan = as_code.plan_apply(payload.jobs, payload.prune)
    except as_code.PlanInvalid as exc:
        problems = [
            {
                "field": f"jobs[{p.index}].{p.field}" if p.index is not None else "prune",
                "message": f"{p.name}: {p.message}",
            }
            for p in exc.problems
        ]
        first = problems[0]
        raise ApiError(422, f"{first['field']}: {first['message']}", problems) from None
    refused = as_code.refusals(plan, request.user)
    if refused:
        raise ApiError(403, "you may not " + "; ".join(refused), refused)
    if not payload.dry_run and not plan.is_empty:
        try:
            as_code.apply_plan(plan, request.user, request)
        except changes.InvalidJob as exc:  # a concurrent change since the plan
            raise _invalid(exc.field, str(exc)) from None
    return {
        "dry_run": payload.dry_run,
        "created": [spec.name for spec in plan.create],
        "updated": [
            {
                "name": u.job.name,
                "changes": {k: {"from": a, "to": b} for k, (a, b) in u.changes.items()},
            }
            for u in plan.update
        ],
        "deleted": [job.name for job in plan.delete],
        "unchanged": plan.unchanged,
    }


@router.get("/jobs/{job_id}", response=JobOut, summary="One job")
def get_job(request: HttpRequest, job_id: ObjectId):
    return get_job_for(request, job_id)


@router.patch("/jobs/{job_id}", response=JobOut, summary="Change some of a job's settings")
def update_job(request: HttpRequest, job_id: ObjectId, payload: JobPatch):  # type: ignore[valid-type]
    job = get_job_for(request, job_id)
    if not roles.can_edit_job(request.user, job):
        raise ApiError(403, f"you may not edit job {job.name!r}")
    # JobPatch is a model made at runtime (above): no type to the type checker.
    wanted = {**changes.spec_of(job), **payload.model_dump(exclude_unset=True)}  # type: ignore[attr-defined]
    try:
        spec = JobSpec.model_validate(wanted)
    except ValidationError as exc:
        problems = validation_problems(exc.errors())
        raise ApiError(422, f"{problems[0]['field']}: {problems[0]['message']}", problems) from None
    return _fresh(_save(changes.update_job, job, spec, request.user, request))


@router.delete("/jobs/{job_id}", response={204: None}, summary="Delete a job with its runs")
def delete_job(request: AuthenticatedRequest, job_id: ObjectId):
    job = get_job_for(request, job_id)
    if not roles.can_delete_job(request.user, job):
        raise ApiError(403, f"you may not delete job {job.name!r}")
    try:
        changes.delete_job(job, request.user, request)
    except changes.JobBusy as exc:
        raise ApiError(409, str(exc)) from None
    return Status(204, None)


def _set_enabled(request: AuthenticatedRequest, job_id: int, enabled: bool) -> Job:
    job = get_job_for(request, job_id)
    if not roles.can_edit_job(request.user, job):
        raise ApiError(403, f"you may not {'enable' if enabled else 'disable'} job {job.name!r}")
    return _fresh(changes.set_enabled(job, enabled, request.user, request))


@router.post("/jobs/{job_id}/enable", response=JobOut, summary="Enable a job")
def enable_job(request: AuthenticatedRequest, job_id: ObjectId):
    return _set_enabled(request, job_id, True)


@router.post("/jobs/{job_id}/disable", response=JobOut, summary="Disable a job")
def disable_job(request: AuthenticatedRequest, job_id: ObjectId):
    return _set_enabled(request, job_id, False)


@router.post("/jobs/{job_id}/runs", response={201: RunOut}, summary="Run a job now")
def run_job(request: AuthenticatedRequest, job_id: ObjectId, payload: RunNowIn):
    job = get_job_for(request, job_id)
    if not roles.can_run_job(request.user, job):
        raise ApiError(403, f"you may not run job {job.name!r}")
    run = queue_manual_run(
        job, request.user, args=payload.args, cursor=payload.cursor, trigger=Trigger.API
    )
    audit.record(
        "run.manual",
        request=request,
        obj=job,
        after={"run": run.pk, "args": run.args, "cursor": payload.cursor},
    )
    return Status(201, Run.objects.select_related("job", "worker", "triggered_by").get(pk=run.pk))


assert set(SPEC_FIELDS) <= set(JobOut.model_fields)
