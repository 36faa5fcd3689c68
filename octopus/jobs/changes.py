"""Changes to jobs made by people: each one saved, rescheduled and audited (before → after)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from octopus.accounts import audit
from octopus.cluster.wakeups import wake_scheduler
from octopus.jobs.forms import JobForm
from octopus.jobs.models import Job
from octopus.jobs.scheduler import reschedule
from octopus.runs.models import ACTIVE_STATES, Run


class JobBusy(Exception):
    """The job has active runs."""


def create_job(form: JobForm, request: HttpRequest, cloned_from: Job | None = None) -> Job:
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


def update_job(form: JobForm, request: HttpRequest) -> Job:
    before = Job.objects.get(pk=form.instance.pk).to_dict()
    with transaction.atomic():
        job = form.save()
        reschedule(job)
        audit.record("job.update", request=request, obj=job, before=before, after=job.to_dict())
    transaction.on_commit(wake_scheduler)
    return job


def set_enabled(job: Job, enabled: bool, request: HttpRequest) -> None:
    if job.enabled == enabled:
        return
    with transaction.atomic():
        job.enabled = enabled
        job.save(update_fields=["enabled", "updated"])
        reschedule(job)
        audit.record(
            "job.enable" if enabled else "job.disable",
            request=request,
            obj=job,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
    transaction.on_commit(wake_scheduler)


def delete_job(job: Job, request: HttpRequest) -> None:
    """Delete a job with its run history. Refused while a run is active: its worker would
    report into a run that no longer exists."""
    active = Run.objects.filter(job=job, state__in=ACTIVE_STATES).count()
    if active:
        raise JobBusy(
            _("%(name)s has %(count)s active run(s): cancel them or wait, then delete.")
            % {"name": job.name, "count": active}
        )
    with transaction.atomic():
        audit.record("job.delete", request=request, obj=job, before=job.to_dict())
        job.delete()


def set_cursor(job: Job, cursor: str, request: HttpRequest) -> None:
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
