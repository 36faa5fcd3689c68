"""The alerts page: list with filters, one alert with its deliveries, acknowledge, resolve."""

from __future__ import annotations

import contextlib

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from octopus.accounts.roles import has_role, require_role
from octopus.alerts import by_hand
from octopus.alerts.filters import UNRESOLVED_ONLY, AlertFilter, filtered_alerts
from octopus.alerts.models import Alert, Channel, DeliveryStatus
from octopus.web.alert_badge import open_alert_counts
from octopus.web.alert_forms import AlertFilterForm
from octopus.web.middleware import LoggedInRequest


def _alerts():
    return Alert.objects.select_related("job", "worker", "acknowledged_by").annotate(
        failed_deliveries=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_deliveries=Count(
            "deliveries",
            filter=Q(deliveries__status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        ),
    )


def alert_list(request: HttpRequest) -> HttpResponse:
    filters = AlertFilterForm(request.GET or None)
    q = _alerts()
    data = filters.cleaned_data if filters.is_valid() else {}
    # The page shows what is unresolved unless asked for "all" (any state).
    state = data.get("state") or UNRESOLVED_ONLY
    f = AlertFilter(
        state="" if state == "all" else state, kind=data.get("kind", ""), job=data.get("job", "")
    )
    page = Paginator(filtered_alerts(f, q), 50).get_page(request.GET.get("page"))
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


def _respond(request: LoggedInRequest, alert_id: int) -> HttpResponse:
    """The alert's row for htmx, else back to where the button was."""
    if request.htmx:
        alert = get_object_or_404(_alerts(), pk=alert_id)
        return render(request, "alerts/_row.html", {"alert": alert, "can_act": True})
    return redirect("alert-detail", alert_id=alert_id)


@require_POST
@require_role("operator")
def alert_acknowledge(request: LoggedInRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    with contextlib.suppress(by_hand.AlertNotOpen):  # someone was quicker: nothing to do
        by_hand.acknowledge(alert, request.user, request)
    return _respond(request, alert_id)


@require_POST
@require_role("operator")
def alert_resolve(request: LoggedInRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    with contextlib.suppress(by_hand.AlertAlreadyResolved):
        by_hand.resolve(alert, request.user, request)
    return _respond(request, alert_id)
