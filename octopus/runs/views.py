from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from octopus.runs.models import Run, RunState


def run_list(request: HttpRequest) -> HttpResponse:
    q = Run.objects.select_related("job", "worker").order_by("-id")
    state = request.GET.get("state", "")
    if state in RunState.values:
        q = q.filter(state=state)
    job = request.GET.get("job", "").strip()
    if job:
        q = q.filter(job__name__icontains=job)
    page = Paginator(q, 50).get_page(request.GET.get("page"))
    ctx = {"page": page, "state": state, "job": job, "states": RunState.choices}
    return render(request, "runs/list.html", ctx)


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's summary; its log comes live over /ws/runs/<id>/log (livelog.js)."""
    run = _get_run(run_id)
    ctx = {"run": run, "live_log": f"/ws/runs/{run.id}/log", **_attempts(run)}
    return render(request, "runs/detail.html", ctx)


def _get_run(run_id: int) -> Run:
    return get_object_or_404(Run.objects.select_related("job", "worker", "triggered_by"), pk=run_id)


def _attempts(run: Run) -> dict:
    """The earlier attempts of this run's retry chain, and the next one."""
    chain = []
    node = run
    while node.retry_of_id and len(chain) < 50:
        node = Run.objects.get(pk=node.retry_of_id)
        chain.append(node)
    return {"chain": list(reversed(chain)), "retries": list(run.retries.all())}


def run_summary(request: HttpRequest, run_id: int) -> HttpResponse:
    """The summary card alone: polled while the run is active, and on a state change."""
    run = _get_run(run_id)
    return render(request, "runs/_summary.html", {"run": run, **_attempts(run)})
