"""Who is calling the API: a personal token (`Authorization: Bearer oct_…`) or, for the
browser, the login session (writes then need the CSRF token, as forms do)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer, SessionAuth

from octopus.accounts.api_tokens import authenticate_token


class BadToken(Exception):
    """The bearer token is unknown or revoked, or its user is inactive."""


class AuthenticatedRequest(HttpRequest):
    """An API handler's request as the type checker sees it (no new behaviour): api_auth()
    lets in only a user, by token or session."""

    user: User


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token.strip())
        if user is None:
            # Refuse at once rather than fall back to the session: a script with a bad token
            # should hear so, not act as whoever is logged in in the same browser.
            raise BadToken
        request.user = user  # the audit trail reads the actor from request.user
        return user


class LoginSessionAuth(SessionAuth):
    """The browser's login session; writes need the CSRF token. Nobody logged in: not
    authenticated (401), before any CSRF check (which would answer 403)."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def api_auth() -> list:
    return [ApiTokenAuth(), LoginSessionAuth(csrf=True)]


def docs_access(view: Callable) -> Callable:
    """The schema and its docs page: for a logged-in browser or a valid token; else 401
    for the schema (clients read JSON) and the login page for the docs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            user = authenticate_token(header[7:].strip())
            if user is not None:
                request.user = user
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse(
                {"error": "authentication required", "detail": "send a bearer token or log in"},
                status=401,
            )
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    return wrapper
