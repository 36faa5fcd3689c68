"""Job pages. Each view: access check → validate → one domain call → respond."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from octopus.accounts import audit
from octopus.accounts.roles import (
    can_create_job,
    can_edit_job,
    can_run_job,
    can_view_job,
    check,
)
from octopus.jobs import changes
from octopus.jobs.models import Job
from octopus.lib import cron
from octopus.runs.job_filters import NEVER, JobFilter, filtered_jobs, known_tags
from octopus.runs.lifecycle import queue_manual_run
from octopus.runs.models import Run, RunState
from octopus.web.charts import job_sparkline
from octopus.web.htmx import navigate
from octopus.web.job_forms import CursorForm, JobForm, RunNowForm, clone_initial
from octopus.web.middleware import LoggedInRequest
from octopus.web.runs import show_new_run
from octopus.workers.models import Worker

PREVIEW_COUNT = 5
PAGE_SIZE = 25


def _job(job_id: int) -> Job:
    return get_object_or_404(
        Job.objects.select_related("owner", "group", "target_worker"), pk=job_id
    )


def job_list(request: LoggedInRequest) -> HttpResponse:
    f = JobFilter.from_query(request.GET)
    page = Paginator(filtered_jobs(f), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "f": f}
    if request.htmx and request.htmx.target == "job-results":
        return render(request, "jobs/_results.html", ctx)
    ctx.update(
        tags=known_tags(),
        owners=get_user_model().objects.filter(jobs__isnull=False).distinct().order_by("username"),
        workers=Worker.objects.order_by("name").values_list("name", flat=True),
        states=RunState.choices,
        never=NEVER,
    )
    return render(request, "jobs/list.html", ctx)


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    check(can_view_job(request.user, job))
    runs = Run.objects.filter(job=job).select_related("worker").order_by("-id")[:25]
    upcoming = []
    if job.enabled and job.schedule:
        try:
            upcoming = cron.fire_times(job.schedule, job.time_zone, timezone.now(), PREVIEW_COUNT)
        except cron.CronError:
            upcoming = []
    ctx = {
        "job": job,
        "runs": runs,
        "upcoming": upcoming,
        "spark": job_sparkline(job.pk),
        "run_form": RunNowForm(),
        "can_edit": can_edit_job(request.user, job),
        "can_run": can_run_job(request.user, job),
    }
    return render(request, "jobs/detail.html", ctx)


def job_create(request: HttpRequest) -> HttpResponse:
    check(can_create_job(request.user))
    form = JobForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = _save(form, request, changes.create_job, form.spec, request.user, request)
        if job is not None:
            messages.success(request, _("Job %(name)s created.") % {"name": job.name})
            return redirect("job-detail", job_id=job.pk)
    return render(request, "jobs/form.html", {"form": form, "job": None})


def _save(form: JobForm, request: HttpRequest, change, *args) -> Job | None:
    """Carry out the form's change through the jobs service; None when it was refused (a
    change meanwhile: the form shows why)."""
    try:
        return change(*args, **form.ownership())
    except changes.InvalidJob as exc:
        form.add_error(form.field_of(exc.field), str(exc))
        return None


def job_clone(request: HttpRequest, job_id: int) -> HttpResponse:
    """A new job with another's settings (the name gets a suffix to change)."""
    source = _job(job_id)
    check(can_create_job(request.user) and can_view_job(request.user, source))
    form = JobForm(
        request.POST or None, user=request.user, cloned_from=source, initial=clone_initial(source)
    )
    if request.method == "POST" and form.is_valid():
        job = _save(
            form,
            request,
            partial(changes.create_job, cloned_from=source),
            form.spec,
            request.user,
            request,
        )
        if job is not None:
            messages.success(request, _("Job %(name)s created.") % {"name": job.name})
            return redirect("job-detail", job_id=job.pk)
    return render(request, "jobs/form.html", {"form": form, "job": None, "source": source})


def job_edit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    check(can_edit_job(request.user, job))
    form = JobForm(request.POST or None, instance=job, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save(form, request, changes.update_job, job, form.spec, request.user, request)
        if saved is not None:
            messages.success(request, _("Job %(name)s saved.") % {"name": saved.name})
            return redirect("job-detail", job_id=saved.pk)
    return render(request, "jobs/form.html", {"form": form, "job": job})


@require_POST
def job_enable(request: LoggedInRequest, job_id: int) -> HttpResponse:
    return _set_enabled(request, job_id, True)


@require_POST
def job_disable(request: LoggedInRequest, job_id: int) -> HttpResponse:
    return _set_enabled(request, job_id, False)


def _set_enabled(request: LoggedInRequest, job_id: int, enabled: bool) -> HttpResponse:
    """Enable or disable (htmx: answers with the job's refreshed header)."""
    job = _job(job_id)
    check(can_edit_job(request.user, job))
    changes.set_enabled(job, enabled, request.user, request)
    if request.htmx:
        ctx = {"job": job, "can_edit": True, "can_run": can_run_job(request.user, job)}
        return render(request, "jobs/_head.html", ctx)
    return redirect("job-detail", job_id=job.pk)


@require_POST
def job_delete(request: LoggedInRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    check(can_edit_job(request.user, job))
    try:
        changes.delete_job(job, request.user, request)
    except changes.JobBusy as exc:
        messages.error(request, str(exc))
        return navigate(request, f"/jobs/{job_id}/")
    messages.success(request, _("Job %(name)s deleted.") % {"name": job.name})
    return navigate(request, "/jobs/")


@require_POST
def job_run_now(request: LoggedInRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    check(can_run_job(request.user, job))
    form = RunNowForm(request.POST)
    if not form.is_valid():
        if request.htmx:  # the dialog shows the errors and keeps what was typed
            return render(request, "jobs/_run_now_form.html", {"job": job, "run_form": form})
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("job-detail", job_id=job.pk)
    with transaction.atomic():
        run = queue_manual_run(
            job, request.user, args=form.cleaned_data["args"], cursor=form.cleaned_data["cursor"]
        )
        audit.record(
            "run.manual",
            request=request,
            obj=job,
            after={"run": run.pk, "args": run.args, "cursor": run.cursor_start},
        )
    return show_new_run(request, run)


@require_POST
def job_cursor(request: LoggedInRequest, job_id: int) -> HttpResponse:
    """Set the job's cursor by hand (audited: it decides where the next run starts)."""
    job = _job(job_id)
    check(can_edit_job(request.user, job))
    form = CursorForm(request.POST)
    if form.is_valid():
        changes.set_cursor(job, form.cleaned_data["cursor"], request.user, request)
        messages.success(request, _("Cursor saved."))
    return redirect("job-detail", job_id=job.pk)


@require_GET
def schedule_preview(request: HttpRequest) -> HttpResponse:
    """The next fire times of a schedule being typed (htmx)."""
    schedule = request.GET.get("schedule", "").strip()
    tz_name = request.GET.get("time_zone", "UTC")
    ctx: dict = {"schedule": schedule, "tz": tz_name}
    if schedule:
        try:
            ctx["times"] = cron.fire_times(schedule, tz_name, timezone.now(), PREVIEW_COUNT)
            ctx["zone"] = cron.zone(tz_name)
        except cron.CronError as exc:
            ctx["error"] = str(exc)
    return render(request, "jobs/_preview.html", ctx)
