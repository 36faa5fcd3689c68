from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from octopus.accounts.models import Profile

# Everything needs a logged-in user except these (login itself, health, static files).
# /agent/ authenticates workers by their own tokens, not sessions.
PUBLIC_PREFIXES = ("/login", "/health", "/static/", "/i18n/", "/agent/")
# The REST API checks its own callers (token or session) on every operation.
API_PREFIX = "/api/v1/"


class LoggedInRequest(HttpRequest):
    """A page view's request as the type checker sees it (no new behaviour): this
    middleware lets in only a logged-in user, and django-htmx's adds `htmx`."""

    user: User
    htmx: HtmxDetails


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated or request.path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)  # the API authenticates each call itself
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "authentication required"}, status=401)
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


class ViewerTimeZoneMiddleware:
    """Show server-rendered times in the viewer's zone: the profile's, else the browser's
    (octopus.js stores it in the `tz` cookie), else UTC. Also used to read typed times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = viewer_zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        return self.get_response(request)


@cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # scans the disk: once per process


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    names = [request.COOKIES.get("tz", "")]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        profile = Profile.objects.filter(user=user).only("time_zone").first()
        if profile and profile.time_zone:
            names.insert(0, profile.time_zone)
    for name in names:
        if name and name in known_zones():
            return zoneinfo.ZoneInfo(name)
    return None
