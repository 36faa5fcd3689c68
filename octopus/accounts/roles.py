"""Who may do what: admin > operator > viewer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from octopus.accounts.models import Profile, Role

RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def role_of(user: AbstractBaseUser | AnonymousUser) -> str:
    if not user.is_authenticated:
        return ""
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    profile = Profile.objects.filter(user=user).only("role").first()
    return profile.role if profile else Role.VIEWER


def has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    mine = role_of(user)
    return bool(mine) and RANK[Role(mine)] >= RANK[Role(role)]


def require_role(role: str) -> Callable:
    """View decorator: 403 unless the user has at least `role`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied(f"needs the {role} role")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
