"""Run pages. Each view: access check → validate → one domain call → respond."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from octopus.accounts import audit
from octopus.accounts.roles import can_cancel_run, can_run_job, can_view_job, check
from octopus.runs.lifecycle import RunAlreadyEnded, queue_manual_run, request_cancel
from octopus.runs.models import Run, RunState, Trigger
from octopus.runs.run_filters import FAILING, SINCE, RunFilter, filtered_runs
from octopus.web.htmx import navigate
from octopus.web.middleware import LoggedInRequest
from octopus.workers.models import Worker

PAGE_SIZE = 50


def run_list(request: LoggedInRequest) -> HttpResponse:
    f = RunFilter.from_query(request.GET)
    page = Paginator(filtered_runs(f), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "f": f}
    if request.htmx and request.htmx.target == "run-results":
        return render(request, "runs/_results.html", ctx)
    ctx.update(
        states=RunState.choices,
        triggers=Trigger.choices,
        workers=Worker.objects.order_by("name").values_list("name", flat=True),
        since_choices=SINCE.keys(),
        failing=FAILING,
    )
    return render(request, "runs/list.html", ctx)


def _get_run(run_id: int) -> Run:
    return get_object_or_404(Run.objects.select_related("job", "worker", "triggered_by"), pk=run_id)


def _run_ctx(request: HttpRequest, run: Run) -> dict:
    return {
        "run": run,
        "can_run": can_run_job(request.user, run.job),
        "can_cancel": run.is_active and can_cancel_run(request.user, run),
        **_attempts(run),
    }


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's summary; its log comes live over /ws/runs/<id>/log (livelog.js)."""
    run = _get_run(run_id)
    check(can_view_job(request.user, run.job))
    ctx = {**_run_ctx(request, run), "live_log": f"/ws/runs/{run.id}/log"}
    return render(request, "runs/detail.html", ctx)


def _attempts(run: Run) -> dict:
    """The earlier attempts of this run's retry chain, and the next one."""
    chain: list[Run] = []
    node = run
    while node.retry_of_id and len(chain) < 50:
        node = Run.objects.get(pk=node.retry_of_id)
        chain.append(node)
    return {"chain": list(reversed(chain)), "retries": list(run.retries.all())}


def run_summary(request: HttpRequest, run_id: int) -> HttpResponse:
    """The summary card alone (with the action buttons, out of band): polled while the run
    is active, and on a state change."""
    run = _get_run(run_id)
    check(can_view_job(request.user, run.job))
    return render(request, "runs/_summary.html", {**_run_ctx(request, run), "with_actions": True})


def show_new_run(request: HttpRequest, run: Run) -> HttpResponse:
    """After a manual run was asked for: say what became of it and open its page."""
    if run.state == RunState.SKIPPED:
        messages.warning(
            request, _("Run %(id)s %(reason)s.") % {"id": run.pk, "reason": run.reason}
        )
    else:
        messages.success(request, _("Run %(id)s queued.") % {"id": run.pk})
    return navigate(request, f"/runs/{run.pk}/")


@require_POST
def run_rerun(request: LoggedInRequest, run_id: int) -> HttpResponse:
    """A new manual run of the same job with the same args and cursor."""
    run = _get_run(run_id)
    check(can_run_job(request.user, run.job))
    with transaction.atomic():
        new = queue_manual_run(run.job, request.user, args=run.args, cursor=run.cursor_start)
        audit.record(
            "run.rerun",
            request=request,
            obj=run.job,
            after={"run": new.pk, "rerun_of": run.pk, "args": new.args, "cursor": new.cursor_start},
        )
    return show_new_run(request, new)


@require_POST
def run_cancel(request: LoggedInRequest, run_id: int) -> HttpResponse:
    run = _get_run(run_id)
    check(can_cancel_run(request.user, run))
    try:
        with transaction.atomic():
            outcome = request_cancel(run, by=request.user)
            audit.record("run.cancel", request=request, obj=run, after={"outcome": outcome})
    except RunAlreadyEnded:
        messages.info(request, _("Run %(id)s had already ended.") % {"id": run.pk})
    else:
        if outcome == "cancelled":
            messages.success(request, _("Run %(id)s cancelled.") % {"id": run.pk})
        else:
            messages.success(
                request, _("Run %(id)s: its worker was told to stop it.") % {"id": run.pk}
            )
    return navigate(request, f"/runs/{run.pk}/")
