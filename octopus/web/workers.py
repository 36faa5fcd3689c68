from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from octopus.accounts import audit
from octopus.accounts.roles import can_admin, check
from octopus.runs.models import Run, RunState
from octopus.web.middleware import LoggedInRequest
from octopus.workers.enrollment import create_enrollment_token
from octopus.workers.models import Worker
from octopus.workers.tokens import revoke_worker


def worker_list(request: HttpRequest) -> HttpResponse:
    workers = list(Worker.objects.order_by("name"))
    current: dict[int | None, list[Run]] = defaultdict(list)
    in_flight = Run.objects.filter(state__in=(RunState.DISPATCHED, RunState.RUNNING))
    for run in in_flight.select_related("job").order_by("id")[:500]:
        current[run.worker_id].append(run)
    rows = [(w, current.get(w.id, [])) for w in workers]
    ctx = {"rows": rows, "is_admin": can_admin(request.user)}
    return render(request, "workers/list.html", ctx)


MAX_USES = 1000  # workers one enrollment token may add


class EnrollmentForm(forms.Form):
    # A whole number (anything else is refused with Django's own words), then brought
    # between 1 and MAX_USES.
    uses = forms.IntegerField(required=False)

    def uses_wanted(self) -> int:
        return max(1, min(self.cleaned_data["uses"] or 1, MAX_USES))


def worker_enrollment(request: LoggedInRequest) -> HttpResponse:
    """Create an enrollment token and show the command that adds a worker."""
    check(can_admin(request.user))
    if request.method != "POST":
        return render(request, "workers/enroll.html", {"form": EnrollmentForm()})
    form = EnrollmentForm(request.POST)
    if not form.is_valid():
        return render(request, "workers/enroll.html", {"form": form}, status=400)
    uses = form.uses_wanted()
    row, token = create_enrollment_token(request.user, uses=uses)
    audit.record(
        "worker.enrollment_token", request=request, after={"prefix": row.prefix, "uses": uses}
    )
    server = request.build_absolute_uri("/").rstrip("/")
    return render(request, "workers/enroll.html", {"token": token, "row": row, "server": server})


@require_POST
def worker_reenroll(request: LoggedInRequest, worker_id: int) -> HttpResponse:
    """An enrollment token for this existing worker only (a reinstalled machine, a lost or
    revoked token): the one way an enrollment gives a taken name a new token."""
    check(can_admin(request.user))
    worker = get_object_or_404(Worker, pk=worker_id)
    row, token = create_enrollment_token(request.user, reenroll=worker)
    audit.record(
        "worker.enrollment_token",
        request=request,
        obj=worker,
        after={"prefix": row.prefix, "uses": row.uses_left, "reenroll": worker.name},
    )
    server = request.build_absolute_uri("/").rstrip("/")
    ctx = {"token": token, "row": row, "server": server, "reenroll": worker}
    return render(request, "workers/enroll.html", ctx)


@require_POST
def worker_revoke(request: HttpRequest, worker_id: int) -> HttpResponse:
    check(can_admin(request.user))
    worker = get_object_or_404(Worker, pk=worker_id)
    revoke_worker(worker)
    audit.record("worker.revoke", request=request, obj=worker)
    messages.success(
        request,
        _("Worker %(name)s revoked: its token no longer works.") % {"name": worker.name},
    )
    return redirect("worker-list")
