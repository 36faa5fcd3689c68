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
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from octopus.logs import live
from octopus.logs.chunks import STREAM_LEVEL
from octopus.logs.reading import RunStatus, chunks_after, latest_run_status, run_status

POLL_INTERVAL = 0.5  # seconds: look again without a nudge (viewers of other replicas)
# Seconds between two reads, at least, while following a busy run: nudges come with every
# batch stored, and reading after each would cost more in queries than it brings.
READ_INTERVAL = 0.04
READ_LINES = 10000  # lines per database read
FRAME_BYTES = 256 * 1024  # text per WebSocket frame, about

Send = Callable[[dict[str, Any] | str], Awaitable[None]]  # a message, or one encoded
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


@dataclass(slots=True)
class Step:
    """One read: the run's status and, ready to send, its next lines and gaps."""

    status: RunStatus | None
    frames: list[str] = field(default_factory=list)  # "lines" and "gap" messages, as JSON
    last: int = 0  # the seq the frames go up to
    lines: int = 0


def read_step(run_id: int, after: int, limit: int) -> Step:
    """The run's status, then its lines after `after` (about `limit`; whole chunks).

    In that order: when the status says the run is over, every line it will ever have is
    already stored and so is read here. The JSON is written here, in a reader thread, and
    the text of each line is encoded once for all the viewers' frames.
    """
    status = run_status(run_id)
    step = Step(status, last=after)
    if status is None:
        return step
    frames = step.frames
    fragments: list[str] = []
    expected, size = after + 1, 0

    def flush() -> None:
        frames.append(f'{{"type":"lines","run_id":{run_id},"lines":[{",".join(fragments)}]}}')
        fragments.clear()

    for first_seq, ts, kinds, text in chunks_after(run_id, after):
        if first_seq > expected:
            if fragments:
                flush()
            frames.append(_json(_gap(run_id, expected, first_seq - 1, "missing")))
        texts = text.split("\n")
        start = max(0, expected - first_seq)  # lines at or below `after` are not sent again
        at = f",{round(ts.timestamp(), 3)!r},"
        if len(kinds) == 1:
            head = at + _KIND_JSON[kinds]
            fragments += [
                f"[{first_seq + i}{head}{_json_text(line)}]"
                for i, line in enumerate(texts[start:], start)
            ]
        else:
            fragments += [
                f"[{first_seq + i}{at}{_KIND_JSON[kinds[i]]}{_json_text(texts[i])}]"
                for i in range(start, len(texts))
            ]
        step.lines += len(texts) - start
        expected = first_seq + len(texts)
        size += len(text)
        if size >= FRAME_BYTES:
            flush()
            size = 0
        if step.lines >= limit:
            break
    if fragments:
        flush()
    step.last = expected - 1
    return step


def _gap(run_id: int, first: int, last: int, reason: str) -> dict[str, Any]:
    return {"type": "gap", "run_id": run_id, "from": first, "to": last, "reason": reason}


def _json(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


# JSON for a string (quotes and escapes; non-ASCII kept as is), in C.
_json_text = json.encoder.encode_basestring
# '"stream","level",' for each kind letter.
_KIND_JSON = {kind: f'"{stream}","{level}",' for kind, (stream, level) in STREAM_LEVEL.items()}


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

    async def _gap(self, run_id: int, first: int, last: int, reason: str) -> None:
        await self.send(_gap(run_id, first, last, reason))

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
        loop = asyncio.get_running_loop()
        while True:
            event.clear()  # before reading: a nudge from now on is not missed
            read_at = loop.time()
            step = await self.read(read_step, run_id, after, READ_LINES)
            status = step.status
            if status is None:
                await self.send({"type": "error", "message": f"run {run_id} was deleted"})
                return False
            if lag and status.last_seq - after > lag:
                # Too far behind to be live: jump, keeping half the allowance to read.
                skip_to = status.last_seq - lag // 2
                await self._gap(run_id, after + 1, skip_to, "skipped")
                after = skip_to
                continue
            for frame in step.frames:
                await self.send(frame)
            after = step.last
            if _shown(status) != shown:
                shown = _shown(status)
                await self.send({"type": "state", "run": status.to_wire()})
            if step.lines >= READ_LINES:
                continue  # catching up: read on at once
            if not status.active:
                if after < status.last_seq:
                    await self._gap(run_id, after + 1, status.last_seq, "missing")
                    after = status.last_seq
                await self.send({"type": "end", "run_id": run_id, "last_seq": after})
                return True
            await self._wait(event)
            await asyncio.sleep(max(0.0, read_at + READ_INTERVAL - loop.time()))

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
