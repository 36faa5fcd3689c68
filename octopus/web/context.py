"""Template context: what the current user may do, for showing or hiding controls.

Hiding is only for tidiness: every view checks again with octopus.accounts.roles.
"""

from __future__ import annotations

from django.http import HttpRequest

from octopus.accounts.roles import can_admin, can_create_job, role_of


def permissions(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": role_of(user),
        "user_can_admin": can_admin(user),
        "user_can_create_job": can_create_job(user),
    }
