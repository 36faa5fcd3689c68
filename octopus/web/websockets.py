"""WebSocket routes of the live log (mounted in octopus/asgi.py)."""

from __future__ import annotations

from django.urls import path

from octopus.web.live_consumer import JobFollowConsumer, RunLogConsumer

# django-stubs' path() knows views only, not the ASGI apps Channels routes to (as its docs do).
websocket_routes = [
    path("ws/runs/<int:run_id>/log", RunLogConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/jobs/<int:job_id>/follow", JobFollowConsumer.as_asgi()),  # type: ignore[arg-type]
]
