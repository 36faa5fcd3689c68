"""Accounts over the API: who am I, and the audit trail (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from octopus.accounts import roles
from octopus.accounts.audit_filters import AuditFilter, filtered_events
from octopus.accounts.models import AuditEvent
from octopus.api.errors import ApiError
from octopus.api.pagination import Page, PageIn, paged

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str


class AuditOut(Schema):
    id: int
    created: datetime
    actor: str = Field(description="Username at the time.")
    ip: str | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @staticmethod
    def resolve_actor(event: AuditEvent) -> str:
        return event.actor_name


class AuditFilters(Schema):
    """The audit page's filters (octopus/accounts/audit_filters.py), by the same names."""

    action: str | None = Field(None, description="e.g. job.update, or job for every job.*")
    actor: str | None = Field(None, description="Username.")
    object: str | None = Field(None, description="An object's type or id, or part of its name.")
    object_type: str | None = Field(None, description="e.g. job, run, alert")
    object_id: str | None = None
    start: datetime | None = Field(None, description="At or after this time.")
    end: datetime | None = Field(None, description="Before this time.")


@router.get("/me", response=MeOut, summary="The caller: username and role")
def me(request: HttpRequest):
    return {"username": request.user.get_username(), "role": roles.role_of(request.user)}


@router.get("/audit", response=Page[AuditOut], summary="The audit trail, newest first")
def list_audit(request: HttpRequest, filters: Query[AuditFilters], page: Query[PageIn]):
    if not roles.can_view_audit(request.user):
        raise ApiError(403, "you may not read the audit trail (needs the admin role)")
    f = AuditFilter(**filters.model_dump(exclude_none=True))
    return paged(request, filtered_events(f), page)
