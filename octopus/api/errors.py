"""One JSON shape for every API error: {"error": one sentence, "detail": more or null}.

Validation errors (422) list each problem as {"field": "schedule", "message": "…"} in
`detail`, and `error` repeats the first one, so a client can print `error` alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from octopus.api.auth import BadToken
from octopus.lib.validation import error_message

log = logging.getLogger("octopus.api")

TOKEN_HELP = (
    "send 'Authorization: Bearer <token>' with a personal API token "
    "(make one on the API tokens page), or log in"
)


class ApiError(Exception):
    """Raise from a handler to answer `status` with this message."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def field_path(loc: tuple | list) -> str:
    """("body", "payload", "jobs", 2, "schedule") → "jobs[2].schedule"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the handler's parameter name says nothing to a client
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_problems(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"field": field_path(e.get("loc", ())), "message": error_message(e)} for e in errors]


def respond(api: NinjaAPI, request: HttpRequest, status: int, message: str, detail: Any = None):
    return api.create_response(request, {"error": message, "detail": detail}, status=status)


def invalid(api: NinjaAPI, request: HttpRequest, problems: list[dict[str, str]]) -> HttpResponse:
    first = problems[0]
    return respond(api, request, 422, f"{first['field']}: {first['message']}", problems)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return invalid(api, request, validation_problems(exc.errors))

    @api.exception_handler(BadToken)
    def _bad_token(request: HttpRequest, exc: BadToken) -> HttpResponse:
        return respond(api, request, 401, "invalid or revoked API token", TOKEN_HELP)

    @api.exception_handler(AuthenticationError)
    def _anonymous(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(api, request, 401, "authentication required", TOKEN_HELP)

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(api, request, exc.status_code, str(exc))

    @api.exception_handler(ApiError)
    def _api(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(api, request, exc.status, str(exc), exc.detail)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(api, request, 404, str(exc) or "not found")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(api, request, 403, str(exc) or "permission denied")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(api, request, 413, "the request body is too large")

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return respond(api, request, 400, "bad request")

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return respond(api, request, 500, "internal server error")
