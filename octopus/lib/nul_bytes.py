"""Refuse NUL characters in URLs, with a clear error, before they reach the database.

PostgreSQL text cannot hold NUL (0x00) and fails the whole query; SQLite and MySQL accept
it. Query strings feed filters on many pages and API lists, so a NUL there gets a 400 on
every database alike. Bodies are checked where they are validated (Django form fields and
the API's job spec refuse NUL with a message naming the field). Job output is different:
the worker escapes NUL as \\x00.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MESSAGE = "NUL characters (0x00) are not allowed in requests"


class RejectNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": MESSAGE, "detail": None}, status=400)
            return HttpResponseBadRequest(MESSAGE)
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").upper():
            return True
        return "\x00" in request.META.get("QUERY_STRING", "")
