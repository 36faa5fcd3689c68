from __future__ import annotations

# An in-memory `ServerLink` for tests: an agent talks to it as to a server, with no socket.
#
#     link = FakeServerLink(auto_ack=True)
#     agent = Agent(config, link=link)
#     ...
#     await link.push({"type": "run", "run": spec.to_dict()})
#     finished = await link.wait_for("run_finished", run_id=spec.run_id)
#
# It answers the agent's hello with a welcome, records every message the agent sends in
# `sent`, and fails on demand: while `down` is true open/send/receive raise `LinkDown`, and
# setting it wakes a pending receive with `LinkDown` too, like a dropped connection.
import asyncio
import json
from typing import Any, cast

from octopus_agent import protocol
from octopus_agent.link import LinkDown

_GONE = object()  # put in the inbox to wake a pending receive() when the connection ends


class FakeServerLink:
    def __init__(self, *, auto_ack: bool = False, welcome: dict[str, Any] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.auto_ack = auto_ack  # acknowledge each spooled message as soon as it is sent
        self.welcome = welcome or {
            "type": protocol.WELCOME,
            "worker_id": 1,
            "protocol": protocol.PROTOCOL_VERSION,
        }
        self.opens = 0  # connections made
        self._down = False
        self._open = False
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._welcomed = asyncio.Event()  # open, and the agent's hello answered
        self._sent_something = asyncio.Event()

    # Test side ----------------------------------------------------------------------------

    @property
    def down(self) -> bool:
        return self._down

    @down.setter
    def down(self, value: bool) -> None:
        self._down = value
        if value:
            self._end()

    async def push(self, message: dict[str, Any], timeout: float = 10.0) -> None:
        """Send a server→agent message, once the agent is connected and welcomed."""
        async with asyncio.timeout(timeout):
            await self._welcomed.wait()
        self._inbox.put_nowait(message)

    def messages(self, msg_type: str, **fields: Any) -> list[dict[str, Any]]:
        """Messages sent so far of this type whose fields have these values."""
        return [
            m
            for m in self.sent
            if m.get("type") == msg_type and all(m.get(k) == v for k, v in fields.items())
        ]

    async def wait_for(
        self, msg_type: str, *, count: int = 1, timeout: float = 10.0, **fields: Any
    ) -> dict[str, Any]:
        """Wait until `count` such messages were sent; return the last of them."""
        async with asyncio.timeout(timeout):
            while True:
                found = self.messages(msg_type, **fields)
                if len(found) >= count:
                    return found[count - 1]
                self._sent_something.clear()
                await self._sent_something.wait()

    # ServerLink ---------------------------------------------------------------------------

    async def open(self) -> None:
        if self._down:
            raise LinkDown("fake link is down")
        self._inbox = asyncio.Queue()  # a new connection: nothing left from the last one
        self._open = True
        self.opens += 1

    async def send(self, message: dict[str, Any]) -> None:
        self._check()
        self.sent.append(message)
        self._sent_something.set()
        if message.get("type") == protocol.HELLO:
            self._inbox.put_nowait(dict(self.welcome))
            self._welcomed.set()
        elif self.auto_ack and message.get("type") in protocol.SPOOLED_TYPES:
            self._inbox.put_nowait({"type": protocol.ACK, "upto": message["id"]})

    async def send_text(self, text: str) -> None:
        await self.send(json.loads(text))

    async def receive(self) -> dict[str, Any]:
        self._check()
        message = await self._inbox.get()
        if message is _GONE:
            raise LinkDown("fake link went down")
        return cast(dict[str, Any], message)  # the inbox holds messages and _GONE only

    async def close(self) -> None:
        if self._open:
            self._end()

    # --------------------------------------------------------------------------------------

    def _check(self) -> None:
        if self._down:
            raise LinkDown("fake link is down")
        if not self._open:
            raise LinkDown("not connected")

    def _end(self) -> None:
        self._open = False
        self._welcomed.clear()
        self._inbox.put_nowait(_GONE)
