"""The dashboard: the last 24 hours at a glance (refreshed by htmx polling)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from octopus.web import figures
from octopus.web.charts import day_chart
from octopus.web.middleware import LoggedInRequest


def dashboard(request: LoggedInRequest) -> HttpResponse:
    rows = figures.PANEL_ROWS
    running = figures.running_runs()
    failing = figures.failing_jobs()
    online, workers = figures.workers_online()
    ctx = {
        "chart": day_chart(),
        "running": running[:rows],
        "running_count": running.count(),
        "failing": failing[:rows],
        "failing_count": failing.count(),
        "workers_online": online,
        "workers_total": workers,
        "open_alerts": figures.open_alerts(),
        "next_firings": figures.next_firings()[:rows],
    }
    template = "dashboard/_panels.html" if request.htmx else "dashboard/index.html"
    return render(request, template, ctx)
