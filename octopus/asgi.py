"""ASGI entry point: Django for HTTP, Channels for the WebSockets (agents, live logs)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octopus.settings")

import django

django.setup(set_prefix=False)

from octopus.lib.asgi_threads import PooledThreadsASGIHandler  # noqa: E402

django_application = PooledThreadsASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from octopus.link.consumer import AgentConsumer  # noqa: E402
from octopus.web.websockets import websocket_routes as log_routes  # noqa: E402
from octopus_agent.protocol import AGENT_PATH  # noqa: E402

# django-stubs' path() knows views only, not the ASGI apps Channels routes to (as its docs do).
websocket_routes = [path(AGENT_PATH.lstrip("/"), AgentConsumer.as_asgi()), *log_routes]  # type: ignore[arg-type]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # types-channels wants its own type-check-only URLPattern: Django's path() makes none.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_routes)),  # type: ignore[arg-type]
    }
)
