"""Refuse NUL characters in requests, with a clear error, before they reach the database.

PostgreSQL text cannot hold NUL (0x00) and fails the whole query; SQLite and MySQL store it
silently. A request carrying one (in the query string, a form field or a JSON string) gets
a 400 on every database alike. Job output is different: the worker escapes NUL as \\x00.
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
        if "\x00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            body = request.body  # read once here; Django keeps it for the view
            if b"\x00" in body or b"\\u0000" in body:
                return True
            # Percent-encoding only means a byte in a form body ("%005d" is fine in JSON).
            form = request.content_type == "application/x-www-form-urlencoded"
            return form and b"%00" in body
        return False
