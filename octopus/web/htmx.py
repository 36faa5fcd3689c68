"""Responses for htmx requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def navigate(request: HttpRequest, url: str) -> HttpResponse:
    """Go to `url` after a POST: htmx is told to navigate (a redirect would be swapped into
    the page); a plain form post is redirected."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
