"""The alerts page: list with filters, one alert with its deliveries, acknowledge, resolve."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from octopus.accounts import audit
from octopus.accounts.roles import has_role, require_role
from octopus.alerts import rules
from octopus.alerts.models import UNRESOLVED, Alert, Channel, DeliveryStatus
from octopus.web.alert_badge import open_alert_counts
from octopus.web.alert_forms import AlertFilter


def _alerts():
    return Alert.objects.select_related("job", "worker", "acknowledged_by").annotate(
        failed_deliveries=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_deliveries=Count(
            "deliveries",
            filter=Q(deliveries__status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        ),
    )


def alert_list(request: HttpRequest) -> HttpResponse:
    filters = AlertFilter(request.GET or None)
    q = _alerts()
    data = filters.cleaned_data if filters.is_valid() else {}
    state = data.get("state", "")
    if state == "":
        q = q.filter(state__in=UNRESOLVED)
    elif state != "all":
        q = q.filter(state=state)
    if data.get("kind"):
        q = q.filter(kind=data["kind"])
    if data.get("job"):
        q = q.filter(job__name__icontains=data["job"])
    page = Paginator(q.order_by("-last_seen", "-id"), 50).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "counts": open_alert_counts(),
        "failing_channels": Channel.objects.exclude(last_error="").order_by("name"),
        "can_act": has_role(request.user, "operator"),
        "is_admin": has_role(request.user, "admin"),
    }
    return render(request, "alerts/list.html", ctx)


def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(_alerts(), pk=alert_id)
    deliveries = alert.deliveries.select_related("channel").order_by("-id")[:100]
    ctx = {
        "alert": alert,
        "deliveries": deliveries,
        "can_act": has_role(request.user, "operator"),
    }
    return render(request, "alerts/detail.html", ctx)


def _respond(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The alert's row for htmx, else back to where the button was."""
    if request.htmx:
        alert = get_object_or_404(_alerts(), pk=alert_id)
        return render(request, "alerts/_row.html", {"alert": alert, "can_act": True})
    return redirect("alert-detail", alert_id=alert_id)


@require_POST
@require_role("operator")
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    if rules.acknowledge(alert, request.user):
        audit.record(
            "alert.acknowledge",
            request=request,
            obj=alert,
            before={"state": "open"},
            after={"state": alert.state},
        )
    return _respond(request, alert_id)


@require_POST
@require_role("operator")
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    before = alert.state
    if rules.resolve_by_hand(alert, request.user):
        audit.record(
            "alert.resolve",
            request=request,
            obj=alert,
            before={"state": before},
            after={"state": alert.state},
        )
    return _respond(request, alert_id)
