"""Who may do what: admin > operator > viewer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from octopus.accounts.models import Profile, Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from octopus.alerts.models import Alert
    from octopus.jobs.models import Job
    from octopus.runs.models import Run

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


# Permission decisions, one small function each, so a rule is tightened in one place (per-job
# ownership for operators will land here). The web pages and the API both ask these.


def can_view_job(user: AbstractBaseUser | AnonymousUser, job: Job) -> bool:
    return has_role(user, Role.VIEWER)


def jobs_visible_to(user: AbstractBaseUser | AnonymousUser, jobs: QuerySet[Job]) -> QuerySet[Job]:
    """The jobs of `jobs` that `user` may see (lists must agree with can_view_job)."""
    return jobs if has_role(user, Role.VIEWER) else jobs.none()


def can_view_run(user: AbstractBaseUser | AnonymousUser, run: Run) -> bool:
    return can_view_job(user, run.job)


def runs_visible_to(user: AbstractBaseUser | AnonymousUser, runs: QuerySet[Run]) -> QuerySet[Run]:
    """The runs of `runs` that `user` may see (lists must agree with can_view_run)."""
    return runs if has_role(user, Role.VIEWER) else runs.none()


def can_create_job(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.OPERATOR)


def can_edit_job(user: AbstractBaseUser | AnonymousUser, job: Job) -> bool:
    return has_role(user, Role.OPERATOR)


def can_delete_job(user: AbstractBaseUser | AnonymousUser, job: Job) -> bool:
    return can_edit_job(user, job)


def can_run_job(user: AbstractBaseUser | AnonymousUser, job: Job) -> bool:
    return has_role(user, Role.OPERATOR)


def can_cancel_run(user: AbstractBaseUser | AnonymousUser, run: Run) -> bool:
    return can_run_job(user, run.job)


def can_ack_alert(user: AbstractBaseUser | AnonymousUser, alert: Alert) -> bool:
    return has_role(user, Role.OPERATOR)


def can_view_workers(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.VIEWER)


def can_view_audit(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.ADMIN)
