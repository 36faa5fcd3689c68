"""What people do with an alert, by hand: acknowledge it (someone is on it) or resolve it.

The one path for the web page, the API and the CLI; each change is audited under one name
(`alert.acknowledge`, `alert.resolve`). Both are compare-and-set updates, so of two people
acting at once the first is recorded and the second told.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from octopus.accounts import audit
from octopus.alerts.models import UNRESOLVED, Alert, AlertState


class AlertNotOpen(Exception):
    """Only an open alert can be acknowledged."""


class AlertAlreadyResolved(Exception):
    """A resolved alert stays resolved."""


def acknowledge(alert: Alert, by: User, request: HttpRequest | None = None) -> Alert:
    """Open → acknowledged by `by`; raise AlertNotOpen when it is not open (any more)."""
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
            state=AlertState.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=timezone.now()
        )
        alert.refresh_from_db()
        if not updated:
            raise AlertNotOpen(f"alert {alert.pk} is {alert.state}, not open")
        _audit("alert.acknowledge", alert, AlertState.OPEN, by, request)
    return alert


def resolve(alert: Alert, by: User, request: HttpRequest | None = None) -> Alert:
    """Open or acknowledged → resolved by a person (no recovery notice: they know); raise
    AlertAlreadyResolved when it was resolved already."""
    reason = f"resolved by {by.get_username()}"
    with transaction.atomic():
        before = alert.state
        updated = Alert.objects.filter(pk=alert.pk, state__in=UNRESOLVED).update(
            state=AlertState.RESOLVED,
            resolved_by=by,
            resolved_at=timezone.now(),
            merge_key=None,
            resolution=reason,
        )
        alert.refresh_from_db()
        if not updated:
            raise AlertAlreadyResolved(f"alert {alert.pk} is resolved already")
        _audit("alert.resolve", alert, before, by, request)
    return alert


def _audit(action: str, alert: Alert, before: str, by: User, request: HttpRequest | None) -> None:
    after = {"state": alert.state}
    audit.record(
        action, request=request, actor=by, obj=alert, before={"state": before}, after=after
    )
