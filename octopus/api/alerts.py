"""Alerts over the API: list with filters, acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from octopus.accounts import roles
from octopus.alerts.by_hand import AlertNotOpen, acknowledge
from octopus.alerts.filters import UNRESOLVED_ONLY, AlertFilter, filtered_alerts
from octopus.alerts.models import Alert, AlertKind, AlertState
from octopus.api.auth import AuthenticatedRequest
from octopus.api.errors import ApiError
from octopus.api.pagination import Page, PageIn, paged
from octopus.api.params import ObjectId
from octopus.jobs.models import Job

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: int
    kind: str
    state: str
    job: str | None = Field(description="Job name.")
    worker: str | None = Field(description="Worker name.")
    last_run: int | None = Field(description="Id of the latest run it is about.")
    title: str
    detail: str
    count: int = Field(description="Occurrences merged into this alert.")
    first_seen: datetime
    last_seen: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_job(alert: Alert) -> str | None:
        return alert.job.name if alert.job else None

    @staticmethod
    def resolve_worker(alert: Alert) -> str | None:
        return alert.worker.name if alert.worker else None

    @staticmethod
    def resolve_last_run(alert: Alert) -> int | None:
        return alert.last_run_id

    @staticmethod
    def resolve_acknowledged_by(alert: Alert) -> str | None:
        return alert.acknowledged_by.get_username() if alert.acknowledged_by else None


class AlertFilters(Schema):
    """The alerts page's filters (octopus/alerts/filters.py), by the same names."""

    state: Literal[(*AlertState.values, UNRESOLVED_ONLY)] | None = Field(  # type: ignore[valid-type]
        None, description="A state, or 'unresolved' for open or acknowledged."
    )
    kind: Literal[tuple(AlertKind.values)] | None = None  # type: ignore[valid-type]
    job: str | None = Field(None, description="Job name (exact).")


def alerts_query():
    return Alert.objects.select_related("job", "worker", "acknowledged_by")


@router.get("/alerts", response=Page[AlertOut], summary="List alerts, latest first")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters], page: Query[PageIn]):
    visible = roles.jobs_visible_to(request.user, Job.objects.all())
    alerts = alerts_query().filter(Q(job__isnull=True) | Q(job__in=visible))
    return paged(
        request, filtered_alerts(AlertFilter(**filters.model_dump(exclude_none=True)), alerts), page
    )


@router.post("/alerts/{alert_id}/ack", response=AlertOut, summary="Acknowledge an open alert")
def ack_alert(request: AuthenticatedRequest, alert_id: ObjectId):
    alert = alerts_query().filter(pk=alert_id).first()
    if alert is None or (alert.job is not None and not roles.can_view_job(request.user, alert.job)):
        raise ApiError(404, f"alert {alert_id} not found")
    if not roles.can_ack_alert(request.user, alert):
        raise ApiError(403, "you may not acknowledge alerts (needs the operator role)")
    try:
        acknowledge(alert, request.user, request)
    except AlertNotOpen as exc:
        raise ApiError(409, str(exc)) from None
    return alerts_query().get(pk=alert.pk)
