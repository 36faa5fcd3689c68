from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from octopus.accounts import audit
from octopus.accounts.roles import has_role, require_role
from octopus.cluster.wakeups import wake_scheduler
from octopus.jobs.forms import CursorForm, JobForm, RunNowForm
from octopus.jobs.models import Job
from octopus.jobs.scheduler import reschedule
from octopus.lib import cron
from octopus.runs.lifecycle import queue_manual_run
from octopus.runs.models import Run, RunState

PREVIEW_COUNT = 5


def job_list(request: HttpRequest) -> HttpResponse:
    q = Job.objects.select_related("owner", "target_worker")
    search = request.GET.get("q", "").strip()
    if search:
        q = q.filter(Q(name__icontains=search) | Q(command__icontains=search))
    page = Paginator(q.order_by("name"), 50).get_page(request.GET.get("page"))
    last_runs = {}
    for job in page:
        last_runs[job.id] = (
            Run.objects.filter(job=job).exclude(state="skipped").order_by("-id").first()
        )
    ctx = {
        "page": page,
        "search": search,
        "last_runs": last_runs,
        "can_edit": has_role(request.user, "operator"),
    }
    return render(request, "jobs/list.html", ctx)


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("owner", "target_worker"), pk=job_id)
    runs = Run.objects.filter(job=job).select_related("worker").order_by("-id")[:50]
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
        "run_form": RunNowForm(),
        "can_edit": has_role(request.user, "operator"),
    }
    return render(request, "jobs/detail.html", ctx)


@require_role("operator")
def job_create(request: HttpRequest) -> HttpResponse:
    form = JobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = form.save(commit=False)
            job.owner = request.user
            job.save()
            reschedule(job)
            audit.record("job.create", request=request, obj=job, after=job.to_dict())
        wake_scheduler()
        messages.success(request, f"Job {job.name} created.")
        return redirect("job-detail", job_id=job.pk)
    return render(request, "jobs/form.html", {"form": form, "job": None})


@require_role("operator")
def job_edit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    before = job.to_dict()
    form = JobForm(request.POST or None, instance=job)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = form.save()
            reschedule(job)
            audit.record("job.update", request=request, obj=job, before=before, after=job.to_dict())
        wake_scheduler()
        messages.success(request, f"Job {job.name} saved.")
        return redirect("job-detail", job_id=job.pk)
    return render(request, "jobs/form.html", {"form": form, "job": job})


@require_POST
@require_role("operator")
def job_run_now(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    form = RunNowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
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
    if run.state == RunState.SKIPPED:
        messages.warning(request, f"Run {run.pk} {run.reason}.")
    else:
        messages.success(request, f"Run {run.pk} queued.")
    return redirect("run-detail", run_id=run.pk)


@require_POST
@require_role("operator")
def job_cursor(request: HttpRequest, job_id: int) -> HttpResponse:
    """Set the job's cursor by hand (audited: it decides where the next run starts)."""
    job = get_object_or_404(Job, pk=job_id)
    form = CursorForm(request.POST)
    if form.is_valid():
        before = job.cursor
        job.cursor = form.cleaned_data["cursor"]
        job.save(update_fields=["cursor", "updated"])
        audit.record(
            "job.cursor",
            request=request,
            obj=job,
            before={"cursor": before},
            after={"cursor": job.cursor},
        )
        messages.success(request, "Cursor saved.")
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
