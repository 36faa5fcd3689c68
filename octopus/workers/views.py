from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from octopus.workers.models import Worker


def worker_list(request: HttpRequest) -> HttpResponse:
    return render(request, "workers/list.html", {"workers": Worker.objects.order_by("name")})
