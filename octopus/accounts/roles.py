"""Who may do what: admin > operator > viewer, plus job ownership.

- admin: everything (users, channels, workers, every job).
- operator: creates jobs; edits, runs and cancels the jobs they own or their group owns.
- viewer: reads everything, changes nothing.

Every view and API handler asks these functions; a hidden button is never the only guard.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from octopus.accounts.models import Profile, Role

User = AuthUser | AnonymousUser


# What these rules read of a job and a run (accounts knows no job: jobs depend on it).
class Job(Protocol):
    @property
    def owner_id(self) -> int | None: ...
    @property
    def group_id(self) -> int | None: ...


class Run(Protocol):
    @property
    def job(self) -> Job: ...


Rows = TypeVar("Rows", bound=QuerySet[Any])
RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def role_of(user: User) -> str:
    if not user.is_authenticated or not user.is_active:
        return ""
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    # One query per request: the role is read by several checks on the same page.
    cached = getattr(user, "_octopus_role", None)
    if cached is None:
        profile = Profile.objects.filter(user=user).only("role").first()
        cached = profile.role if profile else Role.VIEWER
        user._octopus_role = cached  # type: ignore[attr-defined]  # a cache set at runtime
    return cached


def has_role(user: User, role: str) -> bool:
    mine = role_of(user)
    return bool(mine) and RANK[Role(mine)] >= RANK[Role(role)]


def can_admin(user: User) -> bool:
    """Users, channels, workers, the audit trail."""
    return has_role(user, Role.ADMIN)


def can_create_job(user: User) -> bool:
    return has_role(user, Role.OPERATOR)


def group_ids(user: User) -> set[int]:
    cached = getattr(user, "_octopus_group_ids", None)
    if cached is None:
        cached = set(user.groups.values_list("id", flat=True)) if user.is_authenticated else set()
        user._octopus_group_ids = cached  # type: ignore[union-attr]  # a cache set at runtime
    return cached


def owns_job(user: User, job: Job) -> bool:
    """The user owns the job, or one of the user's groups does."""
    if not user.is_authenticated:
        return False
    if job.owner_id is not None and job.owner_id == user.pk:
        return True
    return job.group_id is not None and job.group_id in group_ids(user)


def can_view_job(user: User, job: Job) -> bool:
    return bool(role_of(user))


def jobs_visible_to(user: User, jobs: Rows) -> Rows:
    """The jobs of `jobs` that `user` may see (lists must agree with can_view_job)."""
    return jobs if role_of(user) else jobs.none()


def can_view_run(user: User, run: Run) -> bool:
    return can_view_job(user, run.job)


def runs_visible_to(user: User, runs: Rows) -> Rows:
    """The runs of `runs` that `user` may see (lists must agree with can_view_run)."""
    return runs if role_of(user) else runs.none()


def can_edit_job(user: User, job: Job) -> bool:
    if can_admin(user):
        return True
    return has_role(user, Role.OPERATOR) and owns_job(user, job)


def can_delete_job(user: User, job: Job) -> bool:
    return can_edit_job(user, job)


def can_run_job(user: User, job: Job) -> bool:
    """Run now, re-run, cancel: the same people who may edit it."""
    return can_edit_job(user, job)


def can_cancel_run(user: User, run: Run) -> bool:
    return can_run_job(user, run.job)


def can_ack_alert(user: User, alert: object) -> bool:
    """Acknowledge or resolve: operators and admins (an alert may concern no job at all)."""
    return has_role(user, Role.OPERATOR)


def can_view_workers(user: User) -> bool:
    return bool(role_of(user))


def can_view_audit(user: User) -> bool:
    return can_admin(user)


def check(allowed: bool) -> None:
    """Raise 403 unless allowed: the one line every view starts with."""
    if not allowed:
        raise PermissionDenied


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
