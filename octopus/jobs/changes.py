"""Changing jobs: create, update, enable or disable, delete, set the cursor.

The one path for every change, whoever makes it: the web form and the API both state a job
as a `JobSpec` (the rules of a spec live in `octopus.jobs.spec`) and call these, and
jobs-as-code (octopus/jobs/as_code.py) plans with the same checks. Each change is saved and
audited (before → after; nothing changed, no entry) in one transaction and announced
(`events.job_changed`), so the scheduler reschedules the job in that transaction and wakes
after it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from octopus import events
from octopus.accounts import audit
from octopus.jobs.models import Concurrency, Job
from octopus.jobs.spec import SPEC_FIELDS, JobSpec
from octopus.workers.models import Worker


class InvalidJob(ValueError):
    """A spec that is well formed but does not fit (a name taken, a worker that does not
    exist, parallel runs of a job with a cursor); `field` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class JobBusy(Exception):
    """The job has runs in flight: deleting it would orphan them on their worker."""


class _Keep:
    """Leave the owner or group as it is."""


KEEP = _Keep()


def spec_of(job: Job) -> dict[str, Any]:
    """The job's settings in the shape of a JobSpec (no runtime state)."""
    settings = job.to_dict()
    return {name: settings[name] for name in SPEC_FIELDS}


def uses_cursor(command: str, job: Job | None = None) -> bool:
    """Runs of the job keep a checkpoint: its command reads one, or it has one already."""
    return bool(job and job.cursor) or "{cursor}" in command or "OCTOPUS_CURSOR" in command


def check_fits(spec: JobSpec, job: Job | None = None) -> None:
    """Raise InvalidJob when the spec names what the database does not have, or asks for
    what the job cannot do."""
    taken = Job.objects.filter(name=spec.name)
    if job is not None:
        taken = taken.exclude(pk=job.pk)
    if taken.exists():
        raise InvalidJob("name", f"A job named {spec.name!r} already exists.")
    if spec.target_worker and not Worker.objects.filter(name=spec.target_worker).exists():
        raise InvalidJob("target_worker", f"There is no worker named {spec.target_worker!r}.")
    if spec.concurrency == Concurrency.ALLOW and uses_cursor(spec.command, job):
        raise InvalidJob(
            "concurrency",
            _(
                "This job uses a cursor, so its runs cannot overlap: parallel runs would "
                "overwrite each other's checkpoints. Choose skip or queue."
            ),
        )


def _assign(job: Job, spec: JobSpec) -> None:
    for name, value in spec.settings().items():
        if name == "target_worker":
            job.target_worker = Worker.objects.get(name=value) if value else None
        else:
            setattr(job, name, value)


def _changed(job: Job) -> None:
    events.send(events.job_changed, job=job)


def create_job(
    spec: JobSpec,
    by: User,
    request: HttpRequest | None = None,
    *,
    owner: User | _Keep | None = KEEP,
    group: Group | None = None,
    cloned_from: Job | None = None,
) -> Job:
    """A new job; its owner is `by` unless one is given (an admin's choice, or None)."""
    check_fits(spec)
    with transaction.atomic():
        job = Job(owner=by if isinstance(owner, _Keep) else owner, group=group)
        _assign(job, spec)
        job.save()
        _changed(job)
        after = job.to_dict()
        if cloned_from is not None:
            after["cloned_from"] = cloned_from.name
        audit.record("job.create", request=request, actor=by, obj=job, after=after)
    return job


def update_job(
    job: Job,
    spec: JobSpec,
    by: User,
    request: HttpRequest | None = None,
    *,
    owner: User | _Keep | None = KEEP,
    group: Group | _Keep | None = KEEP,
) -> Job:
    """Make the job match the spec; audit only what changed (nothing changed: no entry)."""
    check_fits(spec, job)
    before = job.to_dict()
    with transaction.atomic():
        _assign(job, spec)
        if not isinstance(owner, _Keep):
            job.owner = owner
        if not isinstance(group, _Keep):
            job.group = group
        job.save()
        _changed(job)
        after = job.to_dict()
        if after != before:
            audit.record(
                "job.update", request=request, actor=by, obj=job, before=before, after=after
            )
    return job


def set_enabled(job: Job, enabled: bool, by: User, request: HttpRequest | None = None) -> Job:
    if job.enabled == enabled:
        return job
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(enabled=enabled)
        job.enabled = enabled
        _changed(job)
        audit.record(
            "job.enable" if enabled else "job.disable",
            request=request,
            actor=by,
            obj=job,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
    return job


def check_deletable(job: Job) -> None:
    """Raise JobBusy when the job may not be deleted now (its runs' rule, in
    octopus/runs/scheduler.py, answers `events.job_deleting`)."""
    events.send(events.job_deleting, job=job)


def delete_job(job: Job, by: User, request: HttpRequest | None = None) -> None:
    """Delete the job with its runs and logs; queued runs go with it."""
    check_deletable(job)
    with transaction.atomic():
        audit.record("job.delete", request=request, actor=by, obj=job, before=job.to_dict())
        job.delete()


def set_cursor(job: Job, cursor: str, by: User, request: HttpRequest | None) -> None:
    """A hand edit of the cursor: it decides where the next run starts, so it is audited."""
    before = job.cursor
    with transaction.atomic():
        job.cursor = cursor
        job.save(update_fields=["cursor", "updated"])
        audit.record(
            "job.cursor",
            request=request,
            actor=by,
            obj=job,
            before={"cursor": before},
            after={"cursor": cursor},
        )
