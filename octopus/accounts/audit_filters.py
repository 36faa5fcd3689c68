"""The audit trail's filters, the same for the web page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from octopus.accounts.models import AuditEvent
from octopus.lib.times import as_utc


@dataclass
class AuditFilter:
    actor: str = ""  # the user name, exactly
    action: str = ""  # an action ("job.update"), or its family ("job": every job.* action)
    object: str = ""  # an object's type or id, or a part of its name ("job", "42", "nightly")
    object_type: str = ""
    object_id: str = ""
    start: datetime | None = None
    end: datetime | None = None


def filtered_events(f: AuditFilter) -> QuerySet[AuditEvent]:
    """The events that pass the filter, newest first."""
    events = AuditEvent.objects.order_by("-created", "-id")
    if f.actor:
        events = events.filter(actor_name=f.actor)
    if f.action:
        events = events.filter(Q(action=f.action) | Q(action__startswith=f"{f.action}."))
    if f.object:
        events = events.filter(
            Q(object_type__iexact=f.object)
            | Q(object_id=f.object)
            | Q(object_repr__icontains=f.object)
        )
    if f.object_type:
        events = events.filter(object_type=f.object_type)
    if f.object_id:
        events = events.filter(object_id=f.object_id)
    if f.start:
        events = events.filter(created__gte=as_utc(f.start))
    if f.end:
        events = events.filter(created__lt=as_utc(f.end))
    return events
