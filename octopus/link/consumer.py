"""The agent's WebSocket: one connection per worker, driven by octopus_agent.protocol."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from octopus.link import hub, inbox
from octopus.runs import worker_runs
from octopus.workers import presence
from octopus.workers.models import Worker
from octopus.workers.tokens import authenticate_worker
from octopus_agent import protocol

log = logging.getLogger("octopus.workers")

POLL_INTERVAL = 1.0  # seconds: look for runs even without a nudge (other replicas)
MAX_INBOX_BYTES = 2 * 1024 * 1024  # received and not yet applied, per worker connection
MAX_BATCH_BYTES = 256 * 1024  # applied in one transaction, about


def _bearer_token(scope: Mapping[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text.lower().startswith("bearer "):
                return text[7:].strip()
    return ""


class AgentConsumer(AsyncWebsocketConsumer):
    worker: Worker | None = None

    async def connect(self) -> None:
        self.worker = await database_sync_to_async(authenticate_worker)(_bearer_token(self.scope))
        if self.worker is None:
            log.warning("refused a worker connection: unknown, bad or revoked token")
            await self.close()  # before accept: the handshake fails with HTTP 403
            return
        self.sent: set[int] = set()
        self.cancels_sent: set[int] = set()
        self.stamp: datetime | None = None
        self.mailbox: hub.Mailbox | None = None
        self.pusher: asyncio.Task | None = None
        # Spooled messages wait here and are applied in batches (with the other workers'
        # messages, see applier): one acknowledgement for everything that arrived meanwhile.
        self.inbox: list[tuple[dict[str, Any], int]] = []  # (message, its size)
        self.inbox_bytes = 0
        self.batch_applied = asyncio.Event()
        self.applier: asyncio.Task | None = None
        await self.accept()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first closes stale database connections, through the one
        # thread all database work shares: every message from a worker then waited for
        # whatever that thread was doing, so under load the link was read one message per
        # database call and batches never formed. Each of our database calls already does
        # that check (database_sync_to_async), so it is skipped here.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.pusher:
            self.pusher.cancel()
        if self.applier:
            # What was received is applied (and stays applied); the ack may be lost, and the
            # agent then sends it again, which changes nothing.
            await asyncio.gather(self.applier, return_exceptions=True)
        if self.worker is not None and self.mailbox is not None:
            hub.unregister(self.worker.id, self.mailbox)
        if self.worker is not None and self.stamp is not None:
            await database_sync_to_async(presence.worker_disconnected)(self.worker, self.stamp)
            log.info("worker %s disconnected", self.worker.name)

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        assert self.worker is not None
        # orjson: the log batches are most of what the server decodes, several times
        # faster than the json module (measured: a fifth of the server's time at full speed).
        message = orjson.loads(text_data or bytes_data or b"{}")
        kind = message.get("type")
        if kind == protocol.HELLO:
            await self._hello(message)
        elif kind == protocol.HEARTBEAT:
            if not await database_sync_to_async(presence.heartbeat)(
                self.worker, message, self.stamp
            ):
                await self._refuse("this worker's token was revoked")
                return
            abandon = await database_sync_to_async(worker_runs.runs_to_abandon)(
                self.worker, [int(r) for r in message.get("running", [])]
            )
            for run_id in abandon:
                await self._cancel(run_id, "this run was given to another worker")
        elif kind in protocol.SPOOLED_TYPES:
            size = len(text_data or bytes_data or b"")
            self.inbox.append((message, size))
            self.inbox_bytes += size
            if self.applier is None or self.applier.done():
                self.applier = asyncio.create_task(self._apply_inbox())
            # Backpressure: past the limit, stop reading the link until a batch is applied
            # (the agent keeps the rest in its outbox, and TCP slows it down).
            while self.inbox_bytes >= MAX_INBOX_BYTES and not self.applier.done():
                self.batch_applied.clear()
                await self.batch_applied.wait()
        else:
            log.warning("worker %s sent an unknown message type %r", self.worker.name, kind)

    def _take_batch(self) -> list[dict[str, Any]]:
        """The oldest messages, up to MAX_BATCH_BYTES (at least one): applied and
        acknowledged in pieces, so the agent can send on while a piece is applied."""
        taken, size = 0, 0
        while taken < len(self.inbox) and (taken == 0 or size < MAX_BATCH_BYTES):
            size += self.inbox[taken][1]
            taken += 1
        batch = [message for message, _ in self.inbox[:taken]]
        del self.inbox[:taken]
        self.inbox_bytes -= size
        return batch

    async def _apply_inbox(self) -> None:
        assert self.worker is not None
        try:
            while self.inbox:
                batch = self._take_batch()
                abandon = await inbox.apply(self.worker, batch)
                await self.send_json({"type": protocol.ACK, "upto": batch[-1]["id"]})
                for run_id in abandon:
                    await self._cancel(run_id, "this run was given to another worker")
                for message in batch:
                    if message["type"] == protocol.RUN_FINISHED:
                        self.sent.discard(int(message["run_id"]))
                self.batch_applied.set()
        finally:
            self.batch_applied.set()  # a reader held back must not wait for a dead task

    async def _hello(self, hello: dict[str, Any]) -> None:
        assert self.worker is not None
        self.stamp = await database_sync_to_async(presence.worker_connected)(self.worker, hello)
        await self.send_json(
            {
                "type": protocol.WELCOME,
                "worker_id": self.worker.id,
                "heartbeat_interval": settings.WORKER_HEARTBEAT_INTERVAL,
                "protocol": protocol.PROTOCOL_VERSION,
            }
        )
        log.info("worker %s connected (%s)", self.worker.name, hello.get("hostname"))
        abandon = await database_sync_to_async(worker_runs.runs_to_abandon)(
            self.worker, [int(r) for r in hello.get("running", [])]
        )
        for run_id in abandon:
            await self._cancel(
                run_id, "this run was given to another worker while this one was away"
            )
        self.mailbox = hub.register(self.worker.id)
        self.pusher = asyncio.create_task(self._push_runs())

    async def _refuse(self, reason: str) -> None:
        assert self.worker is not None
        log.warning("dropping worker %s: %s", self.worker.name, reason)
        await self.send_json({"type": protocol.REFUSE, "reason": reason})
        await self.close(code=4003)

    async def _cancel(self, run_id: int, reason: str) -> None:
        await self.send_json(
            {"type": protocol.CANCEL, "run_id": run_id, "reason": reason, "grace": 5}
        )

    async def _push_runs(self) -> None:
        """Send runs handed to this worker (those the dispatcher delivered at once, and
        whatever the database holds for it when nudged or every poll interval) and the
        cancels asked for."""
        assert self.worker is not None and self.mailbox is not None
        mailbox = self.mailbox
        look_in_database = True
        while True:
            mailbox.wakeup.clear()  # before reading: a wake-up from now on is not missed
            if mailbox.kicked:
                await self._refuse("this worker's token was revoked")
                return
            while mailbox.runs:
                spec = mailbox.runs.popleft()
                if spec["run_id"] not in self.sent:
                    self.sent.add(spec["run_id"])
                    await self.send_json({"type": protocol.RUN, "run": spec})
            if look_in_database:
                specs = await database_sync_to_async(worker_runs.pending_runs)(
                    self.worker, self.sent
                )
                for run_spec in specs:
                    self.sent.add(run_spec.run_id)
                    await self.send_json({"type": protocol.RUN, "run": run_spec.to_dict()})
                cancels = await database_sync_to_async(worker_runs.runs_to_cancel)(
                    self.worker, self.cancels_sent
                )
                for run_id, reason in cancels:
                    await self._cancel(run_id, reason)
                    self.cancels_sent.add(run_id)
            try:
                await asyncio.wait_for(mailbox.wakeup.wait(), POLL_INTERVAL)
                # Woken: a delivery needs no database read; a bare nudge does.
                look_in_database = not mailbox.runs and not mailbox.kicked
            except TimeoutError:
                look_in_database = True
