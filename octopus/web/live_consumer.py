"""Live-log WebSockets for the browser: one run's log, or a job's latest run.

  /ws/runs/<run_id>/log?after=N&tail=N&lag=N
  /ws/jobs/<job_id>/follow?run=R&after=N&tail=N&lag=N

Logged-in users only (the session cookie, through Channels' AuthMiddlewareStack); a
browser on another site is refused even with the user's cookie (cross-site WebSocket
hijacking). The loop itself is in tail.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from octopus.accounts.models import Role
from octopus.accounts.roles import has_role
from octopus.jobs.models import Job
from octopus.logs.reading import read_async as read
from octopus.logs.tail import BadOptions, Tail, TailOptions

log = logging.getLogger("octopus.logs")

CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404


def _header(scope: Mapping[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def same_origin(scope: Mapping[str, Any]) -> bool:
    """A browser always sends Origin with a WebSocket; it must be this site (or one listed
    in OCTOPUS_CSRF_TRUSTED_ORIGINS). Clients that are not browsers send none."""
    origin = _header(scope, b"origin")
    if not origin:
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    return urlsplit(origin).netloc.lower() == _header(scope, b"host").lower()


class LogConsumer(AsyncWebsocketConsumer):
    task: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not same_origin(self.scope):
            await self.close()  # before accept: the handshake fails with HTTP 403
            return
        if not await read(has_role, user, Role.VIEWER):
            await self.close()
            return
        await self.accept()
        try:
            options = TailOptions.from_query(self.scope.get("query_string", b""))
        except BadOptions as exc:
            await self.send_json({"type": "error", "message": str(exc)})
            await self.close(CLOSE_BAD_REQUEST)
            return
        self.task = asyncio.create_task(self._stream(Tail(self.send_json, read, options)))

    async def _stream(self, tail: Tail) -> None:
        try:
            found = await self.follow(tail)
            await self.close(1000 if found else CLOSE_NOT_FOUND)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live log viewer failed")
            await self.close(1011)

    async def follow(self, tail: Tail) -> bool:
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        pass  # viewers only listen; resuming is by reconnecting with ?after=

    async def send_json(self, message: dict[str, Any] | str) -> None:
        """Send a message; one already encoded (a frame of lines) goes as it is."""
        if not isinstance(message, str):
            message = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        await self.send(text_data=message)


class RunLogConsumer(LogConsumer):
    async def follow(self, tail: Tail) -> bool:
        run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        return await tail.follow_run(run_id, tail.options.after, tail.options.tail)


def _job_exists(job_id: int) -> bool:
    return Job.objects.filter(id=job_id).exists()


class JobFollowConsumer(LogConsumer):
    async def follow(self, tail: Tail) -> bool:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        if not await read(_job_exists, job_id):
            await self.send_json({"type": "error", "message": f"job {job_id} does not exist"})
            return False
        await tail.follow_job(job_id)
        return False  # it returns only when told a bad run to resume
