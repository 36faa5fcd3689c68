"""Admin pages: users (create, role, groups, deactivate) and the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from octopus.accounts import audit
from octopus.accounts.audit_filters import filtered_events
from octopus.accounts.models import Profile
from octopus.accounts.roles import can_admin, check
from octopus.web import audit as trail
from octopus.web.account_forms import UserForm, ensure_groups, group_names
from octopus.web.middleware import LoggedInRequest

User = get_user_model()


def user_snapshot(user) -> dict:
    """A user as the audit trail shows it (never the password)."""
    return {
        "username": user.get_username(),
        "role": _profile_role(user),
        "groups": group_names(user),
        "active": user.is_active,
    }


def _profile_role(user) -> str:
    profile = Profile.objects.filter(user=user).first()
    return "admin" if user.is_superuser else (profile.role if profile else "viewer")


def user_list(request: HttpRequest) -> HttpResponse:
    check(can_admin(request.user))
    users = User.objects.order_by("-is_active", "username").prefetch_related("groups")
    profiles = dict(Profile.objects.values_list("user_id", "role"))
    rows = [
        (u, "admin" if u.is_superuser else profiles.get(u.pk, "viewer"), group_names(u))
        for u in users
    ]
    return render(request, "accounts/users.html", {"rows": rows})


def user_create(request: HttpRequest) -> HttpResponse:
    check(can_admin(request.user))
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User.objects.create_user(data["username"], password=data["password"])
            user.is_active = data["is_active"]
            user.save(update_fields=["is_active"])
            Profile.objects.create(user=user, role=data["role"])
            user.groups.set(ensure_groups(data["groups"]))
            audit.record("user.create", request=request, obj=user, after=user_snapshot(user))
        messages.success(request, _("User %(name)s created.") % {"name": user.get_username()})
        return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    check(can_admin(request.user))
    target = get_object_or_404(User, pk=user_id)
    initial = {**user_snapshot(target), "is_active": target.is_active}
    form = UserForm(request.POST or None, user=target, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if target == request.user and (not data["is_active"] or data["role"] != "admin"):
            form.add_error(None, _("You cannot demote or deactivate yourself."))
        else:
            _apply_user_change(request, target, data)
            messages.success(request, _("User %(name)s saved.") % {"name": target.get_username()})
            return redirect("user-list")
    return render(request, "accounts/user_form.html", {"form": form, "target": target})


def _apply_user_change(request: HttpRequest, target, data: dict) -> None:
    before = user_snapshot(target)
    with transaction.atomic():
        Profile.objects.update_or_create(user=target, defaults={"role": data["role"]})
        if target.is_superuser and data["role"] != "admin":
            target.is_superuser = target.is_staff = False  # the role is the one truth
        target.is_active = data["is_active"]
        if data["password"]:
            target.set_password(data["password"])
        target.save()
        target.groups.set(ensure_groups(data["groups"]))
        after = user_snapshot(target)
        if data["password"]:
            after["password"] = "changed"  # that it changed, never what to
        audit.record("user.update", request=request, obj=target, before=before, after=after)


def audit_trail(request: LoggedInRequest) -> HttpResponse:
    check(can_admin(request.user))
    f = trail.AuditParams.from_query(request.GET)
    page = Paginator(filtered_events(f.to_filter()), 50).get_page(request.GET.get("page"))
    rows = [(e, trail.action_label(e.action), trail.changes(e)) for e in page]
    ctx = {"page": page, "f": f, "rows": rows}
    if request.htmx and request.htmx.target == "audit-results":
        return render(request, "accounts/_audit_results.html", ctx)
    ctx["actions"] = trail.known_actions()
    return render(request, "accounts/audit.html", ctx)
