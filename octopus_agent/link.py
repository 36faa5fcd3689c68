"""The agent's connection to a server. The agent only sees `ServerLink`: send, receive."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


class LinkDown(Exception):
    """The connection to the server is gone or could not be made."""


class LinkRefused(LinkDown):
    """The server refused this worker (unknown, bad or revoked token)."""


class ServerLink(Protocol):
    async def open(self) -> None: ...
    async def send(self, message: dict[str, Any]) -> None: ...
    async def send_text(self, text: str) -> None: ...  # a message already JSON-encoded
    async def receive(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class WebSocketLink:
    """One WebSocket to one of the server URLs; after a failed connection attempt the next
    URL is tried (server replicas without a load balancer in front)."""

    def __init__(self, urls: list[str] | str, token: str) -> None:
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.current = 0
        self.token = token
        self.ws: ClientConnection | None = None
        # The heartbeat and the sender share the connection; one frame at a time.
        self._send_lock = asyncio.Lock()

    @property
    def url(self) -> str:
        return self.urls[self.current]

    async def open(self) -> None:
        try:
            await self._open()
        except LinkDown:
            self.current = (self.current + 1) % len(self.urls)
            raise

    async def _open(self) -> None:
        try:
            self.ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self.token}"},
                max_size=None,  # log batches can be large; the server bounds them
                compression=None,  # costs more CPU than it saves on a LAN (measured)
                open_timeout=10,
                ping_interval=20,
                ping_timeout=20,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise LinkRefused(
                    f"the server refused this worker's token (HTTP {status})"
                ) from None
            raise LinkDown(f"the server answered HTTP {status}") from exc
        except (OSError, TimeoutError) as exc:
            raise LinkDown(str(exc) or exc.__class__.__name__) from exc

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        if self.ws is None:
            raise LinkDown("not connected")
        try:
            async with self._send_lock:
                await self.ws.send(text)
        except ConnectionClosed as exc:
            raise LinkDown(f"connection closed ({exc.rcvd.code if exc.rcvd else ''})") from exc

    async def receive(self) -> dict[str, Any]:
        if self.ws is None:
            raise LinkDown("not connected")
        try:
            data = await self.ws.recv()
        except ConnectionClosed as exc:
            raise LinkDown("connection closed") from exc
        # The server only ever sends JSON objects (see octopus_agent.protocol).
        return cast(dict[str, Any], json.loads(data))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
