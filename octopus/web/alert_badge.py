"""Open-alert counts for the dashboard and the navigation bar."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from octopus.alerts.models import UNRESOLVED, Alert, AlertState


def open_alert_counts() -> dict[str, Any]:
    """{"open": n, "acknowledged": n, "by_kind": {kind: n}} over unresolved alerts."""
    rows = (
        Alert.objects.filter(state__in=UNRESOLVED)
        .values("state", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, Any] = {AlertState.OPEN: 0, AlertState.ACKNOWLEDGED: 0, "by_kind": {}}
    for row in rows:
        counts[row["state"]] += row["n"]
        counts["by_kind"][row["kind"]] = counts["by_kind"].get(row["kind"], 0) + row["n"]
    return counts


def open_alerts(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the open (unacknowledged) alert count shown in the nav."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_alert_count": Alert.objects.filter(state=AlertState.OPEN).count()}
