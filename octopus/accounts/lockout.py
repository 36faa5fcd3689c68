"""Login lockout (django-axes): what a locked-out person sees, and its audit entry."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from octopus.accounts import audit


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page again, with a plain message, and 429 Too Many Requests."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    message = _(
        "Too many failed logins for %(username)s from this address. "
        "Login is locked for %(minutes)s minutes; try again later or ask an admin."
    ) % {"username": username, "minutes": lockout_minutes()}
    form = AuthenticationForm(request, initial={"username": username})
    ctx = {"form": form, "locked_message": message, "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", ctx, status=429)


@receiver(user_locked_out)
def _audit_lockout(sender, request, username, ip_address, **kwargs) -> None:
    audit.record("user.locked_out", request=request, after={"username": username})
