from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

# Everything needs a logged-in user except these (login itself, health, static files).
# /agent/ authenticates workers by their own tokens, not sessions.
PUBLIC_PREFIXES = ("/login", "/health", "/static/", "/i18n/", "/agent/")
# The REST API checks its own callers (token or session) on every operation.
API_PREFIX = "/api/v1/"


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
