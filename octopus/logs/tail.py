"""A live viewer's loop: read a run's lines from the database in order and send them.

Each viewer keeps its own position (the last seq it sent) and reads batches at its own
pace, so a slow browser only falls behind: it never slows the job or the ingestion, which
do not know it exists. A viewer that asked for it (`lag`) skips ahead when it falls too
far behind, and says so with a gap marker. The loop wakes on a nudge from the ingest path
in this process, or after POLL_INTERVAL (a viewer of a run stored by another replica).

Messages sent (JSON objects with a "type"):
  run    {run}                        the run followed from now on (its status)
  lines  {run_id, lines: [[seq, ts, stream, level, text], ...]}   in seq order
  gap    {run_id, from, to, reason}   seqs from..to will not be sent: "skipped" (tail or
                                      lag) or "missing" (purged, or never stored)
  state  {run}                        the run's state, reason or exit code changed
  end    {run_id, last_seq}           the run is over and every line was sent
  error  {message}
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from octopus.logs import live
from octopus.logs.reading import RunStatus, latest_run_status, lines_after, run_status

POLL_INTERVAL = 0.5  # seconds: look again without a nudge (viewers of other replicas)
READ_LINES = 2000  # lines per database read
FRAME_BYTES = 256 * 1024  # text per WebSocket frame, about

Send = Callable[[dict[str, Any]], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]  # read(sync_function, *args), off the event loop


class BadOptions(ValueError):
    """The viewer's query string is not valid; the message says which part."""


@dataclass(frozen=True, slots=True)
class TailOptions:
    after: int = 0  # resume: send lines with seq > after
    tail: int | None = None  # start with the last N lines only
    lag: int = 0  # skip ahead when this many lines behind (0: never skip)
    run: int | None = None  # following a job: resume this run first

    @classmethod
    def from_query(cls, query: bytes | str) -> TailOptions:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        values = {k: v[-1] for k, v in parse_qs(query).items()}
        numbers: dict[str, int] = {}
        for name in ("after", "tail", "lag", "run"):
            if values.get(name, "") == "":
                continue
            try:
                numbers[name] = int(values[name])
            except ValueError:
                raise BadOptions(f"{name} must be a whole number, not {values[name]!r}") from None
            if numbers[name] < 0:
                raise BadOptions(f"{name} must be 0 or more, not {numbers[name]}")
        return cls(**numbers)


def read_step(run_id: int, after: int, limit: int) -> tuple[RunStatus | None, list[list[Any]]]:
    """The run's status, then its next lines. In that order: when the status says the run
    is over, every line it will ever have is already stored and so is read here."""
    status = run_status(run_id)
    if status is None:
        return None, []
    return status, [line.to_wire() for line in lines_after(run_id, after, limit)]


def _shown(status: RunStatus) -> tuple:
    """What the page shows of a status, apart from the line count."""
    return (status.state, status.reason, status.exit_code, status.signal, status.finished_at)


class Tail:
    def __init__(self, send: Send, read: Read, options: TailOptions) -> None:
        self.send = send
        self.read = read
        self.options = options

    async def _wait(self, event: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), POLL_INTERVAL)

    async def _send_lines(self, run_id: int, lines: list[list[Any]]) -> None:
        frame: list[list[Any]] = []
        size = 0
        for line in lines:
            frame.append(line)
            size += len(line[4]) + 40
            if size >= FRAME_BYTES:
                await self.send({"type": "lines", "run_id": run_id, "lines": frame})
                frame, size = [], 0
        if frame:
            await self.send({"type": "lines", "run_id": run_id, "lines": frame})

    async def _gap(self, run_id: int, first: int, last: int, reason: str) -> None:
        await self.send(
            {"type": "gap", "run_id": run_id, "from": first, "to": last, "reason": reason}
        )

    async def follow_run(self, run_id: int, after: int = 0, tail: int | None = None) -> bool:
        """Send the run's lines after `after` until it is over and all are sent.
        Return False when the run does not exist (any more)."""
        event = asyncio.Event()
        live.watch("run", run_id, event)
        try:
            return await self._follow_run(run_id, after, tail, event)
        finally:
            live.unwatch("run", run_id, event)

    async def _follow_run(
        self, run_id: int, after: int, tail: int | None, event: asyncio.Event
    ) -> bool:
        status = await self.read(run_status, run_id)
        if status is None:
            await self.send({"type": "error", "message": f"run {run_id} does not exist"})
            return False
        await self.send({"type": "run", "run": status.to_wire()})
        shown = _shown(status)
        if tail is not None and status.last_seq - tail > after:
            await self._gap(run_id, after + 1, status.last_seq - tail, "skipped")
            after = status.last_seq - tail
        lag = self.options.lag
        while True:
            event.clear()  # before reading: a nudge from now on is not missed
            status, lines = await self.read(read_step, run_id, after, READ_LINES)
            if status is None:
                await self.send({"type": "error", "message": f"run {run_id} was deleted"})
                return False
            if lag and status.last_seq - after > lag:
                # Too far behind to be live: jump, keeping half the allowance to read.
                skip_to = status.last_seq - lag // 2
                await self._gap(run_id, after + 1, skip_to, "skipped")
                after = skip_to
                continue
            if lines:
                if lines[0][0] > after + 1:
                    await self._gap(run_id, after + 1, lines[0][0] - 1, "missing")
                await self._send_lines(run_id, lines)
                after = lines[-1][0]
            if _shown(status) != shown:
                shown = _shown(status)
                await self.send({"type": "state", "run": status.to_wire()})
            if len(lines) == READ_LINES:
                continue  # catching up: read on at once
            if not status.active:
                if after < status.last_seq:
                    await self._gap(run_id, after + 1, status.last_seq, "missing")
                    after = status.last_seq
                await self.send({"type": "end", "run_id": run_id, "last_seq": after})
                return True
            await self._wait(event)

    async def follow_job(self, job_id: int) -> None:
        """Follow the job's latest run; when it is over, the next one, and so on."""
        event = asyncio.Event()
        live.watch("job", job_id, event)
        try:
            run_id, after, tail = self.options.run, self.options.after, self.options.tail
            if run_id is not None:
                status = await self.read(run_status, run_id)
                if status is None or status.job_id != job_id:
                    await self.send(
                        {"type": "error", "message": f"run {run_id} is not a run of job {job_id}"}
                    )
                    return
            done = 0
            while True:
                event.clear()
                if run_id is None:
                    latest = await self.read(latest_run_status, job_id)
                    if latest is None or latest.id <= done:
                        await self._wait(event)
                        continue
                    run_id = latest.id
                await self.follow_run(run_id, after, tail)
                done, run_id, after, tail = run_id, None, 0, None
        finally:
            live.unwatch("job", job_id, event)
