"""The alerts list's filters, the same for the web page and the API. Names match exactly."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from octopus.alerts.models import UNRESOLVED, Alert

UNRESOLVED_ONLY = "unresolved"  # the state filter's value for open or acknowledged


@dataclass
class AlertFilter:
    state: str = ""  # "", a state, or UNRESOLVED_ONLY
    kind: str = ""
    job: str = ""  # the job's name


def filtered_alerts(f: AlertFilter, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """The alerts of `alerts` that pass the filter, latest first."""
    if f.state == UNRESOLVED_ONLY:
        alerts = alerts.filter(state__in=UNRESOLVED)
    elif f.state:
        alerts = alerts.filter(state=f.state)
    if f.kind:
        alerts = alerts.filter(kind=f.kind)
    if f.job:
        alerts = alerts.filter(job__name=f.job)
    return alerts.order_by("-last_seen", "-id")
