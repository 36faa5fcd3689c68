"""The audit trail: every change and manual action, with who, when, from where, before → after."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import HttpRequest

from octopus.accounts.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: User | AnonymousUser | None = None,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    if actor is None and request is not None:
        actor = request.user
    user = actor if actor is not None and actor.is_authenticated else None
    if before is not None and after is not None:
        # Keep only what changed, so the trail reads as a diff.
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    return AuditEvent.objects.create(
        action=action,
        actor=user,
        actor_name=user.get_username() if user else "",
        ip=client_ip(request),
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
    )
