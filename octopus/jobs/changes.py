"""Changing jobs: create, update, enable or disable, delete, set the cursor.

Each change is saved, rescheduled and audited (before → after) in one transaction, and
wakes the scheduler afterwards. The API and jobs-as-code call these with a spec (the rules
about what a spec may say live in `octopus.jobs.spec`); the web pages with a JobForm.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from octopus.accounts import audit
from octopus.cluster.wakeups import wake_scheduler
from octopus.jobs.forms import JobForm
from octopus.jobs.models import Job
from octopus.jobs.scheduler import reschedule
from octopus.jobs.spec import SPEC_FIELDS, JobSpec
from octopus.runs.models import RunState
from octopus.workers.models import Worker


class InvalidJob(ValueError):
    """A spec that is well formed but does not fit the database (a name taken, a worker
    that does not exist); `field` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class JobBusy(Exception):
    """The job has runs in flight: deleting it would orphan them on their worker."""


def spec_of(job: Job) -> dict[str, Any]:
    """The job's settings in the shape of a JobSpec (no runtime state)."""
    settings = job.to_dict()
    return {name: settings[name] for name in SPEC_FIELDS}


def check_references(spec: JobSpec, job: Job | None = None) -> None:
    """Raise InvalidJob when the spec names what the database does not have."""
    taken = Job.objects.filter(name=spec.name)
    if job is not None:
        taken = taken.exclude(pk=job.pk)
    if taken.exists():
        raise InvalidJob("name", f"A job named {spec.name!r} already exists.")
    if spec.target_worker and not Worker.objects.filter(name=spec.target_worker).exists():
        raise InvalidJob("target_worker", f"There is no worker named {spec.target_worker!r}.")


def _assign(job: Job, spec: JobSpec) -> None:
    for name, value in spec.settings().items():
        if name == "target_worker":
            job.target_worker = Worker.objects.get(name=value) if value else None
        else:
            setattr(job, name, value)


def create_job(spec: JobSpec, by: AbstractBaseUser, request: HttpRequest | None = None) -> Job:
    check_references(spec)
    with transaction.atomic():
        job = Job(owner=by)
        _assign(job, spec)
        job.save()
        reschedule(job)
        audit.record("job.create", request=request, actor=by, obj=job, after=job.to_dict())
    transaction.on_commit(wake_scheduler)
    return job


def update_job(
    job: Job, spec: JobSpec, by: AbstractBaseUser, request: HttpRequest | None = None
) -> Job:
    """Make the job match the spec; audit only what changed (nothing changed: no entry)."""
    check_references(spec, job)
    before = job.to_dict()
    with transaction.atomic():
        _assign(job, spec)
        job.save()
        reschedule(job)
        after = job.to_dict()
        if after != before:
            audit.record(
                "job.update", request=request, actor=by, obj=job, before=before, after=after
            )
    transaction.on_commit(wake_scheduler)
    return job


def set_enabled(
    job: Job, enabled: bool, by: AbstractBaseUser, request: HttpRequest | None = None
) -> Job:
    if job.enabled == enabled:
        return job
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(enabled=enabled)
        job.enabled = enabled
        reschedule(job)
        audit.record(
            "job.enable" if enabled else "job.disable",
            request=request,
            actor=by,
            obj=job,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
    transaction.on_commit(wake_scheduler)
    return job


def check_deletable(job: Job) -> None:
    in_flight = job.runs.filter(state__in=(RunState.DISPATCHED, RunState.RUNNING)).count()
    if in_flight:
        raise JobBusy(
            _("job %(name)s has %(count)s run(s) in flight; cancel them or wait first")
            % {"name": repr(job.name), "count": in_flight}
        )


def delete_job(job: Job, by: AbstractBaseUser, request: HttpRequest | None = None) -> None:
    """Delete the job with its runs and logs; queued runs go with it."""
    check_deletable(job)
    with transaction.atomic():
        audit.record("job.delete", request=request, actor=by, obj=job, before=job.to_dict())
        job.delete()


# The web pages: the same changes from a validated JobForm.


def create_job_from_form(
    form: JobForm, request: HttpRequest, cloned_from: Job | None = None
) -> Job:
    with transaction.atomic():
        job = form.save(commit=False)
        if "owner" not in form.fields or "owner" not in form.data:
            job.owner = request.user  # operators own what they create; admins by default
        if cloned_from is not None:
            job.alert_routing = dict(cloned_from.alert_routing)
        job.save()
        reschedule(job)
        after = job.to_dict()
        if cloned_from is not None:
            after["cloned_from"] = cloned_from.name
        audit.record("job.create", request=request, obj=job, after=after)
    transaction.on_commit(wake_scheduler)
    return job


def update_job_from_form(form: JobForm, request: HttpRequest) -> Job:
    before = Job.objects.get(pk=form.instance.pk).to_dict()
    with transaction.atomic():
        job = form.save()
        reschedule(job)
        audit.record("job.update", request=request, obj=job, before=before, after=job.to_dict())
    transaction.on_commit(wake_scheduler)
    return job


def set_cursor(job: Job, cursor: str, request: HttpRequest) -> None:
    """A hand edit of the cursor: it decides where the next run starts, so it is audited."""
    before = job.cursor
    job.cursor = cursor
    job.save(update_fields=["cursor", "updated"])
    audit.record(
        "job.cursor", request=request, obj=job, before={"cursor": before}, after={"cursor": cursor}
    )


def clone_initial(job: Job) -> dict:
    """Form values for a copy of `job`: same settings, a new name, no cursor."""
    form = JobForm(instance=job)
    initial = {name: form[name].value() for name in form.fields}
    initial["name"] = f"{job.name}-copy"
    initial.pop("owner", None)
    return initial
