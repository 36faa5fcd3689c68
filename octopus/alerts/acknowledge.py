"""Acknowledge an alert: someone has seen it and is on it (open → acknowledged)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from octopus.alerts.models import Alert, AlertState


class AlertNotOpen(Exception):
    """Only an open alert can be acknowledged."""


def acknowledge_alert(alert: Alert, by: AbstractBaseUser) -> Alert:
    """Mark the alert acknowledged by `by`; raise AlertNotOpen when it is not open (any
    more: a compare-and-set, so two people acknowledging at once record the first)."""
    updated = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
        state=AlertState.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    if not updated:
        raise AlertNotOpen(f"alert {alert.pk} is {alert.state}, not open")
    return alert
