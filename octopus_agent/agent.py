"""The worker agent: keeps a link to a server, runs what it is sent, reports everything.

Side tasks, each named and supervised: `link` (connect, then receive and send until the
connection drops, then reconnect), `heartbeat` (load every few seconds) and `flusher`
(batches output lines into the outbox). Everything the server must receive goes through
the on-disk outbox (`spool.Spool`) first, so the link may drop at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from functools import partial
from typing import Any

import psutil

from octopus_agent import __version__, protocol
from octopus_agent.config import LOG_FLUSH_INTERVAL, RECONNECT_MAX_DELAY, Config
from octopus_agent.executor import Execution, Outcome
from octopus_agent.link import LinkDown, LinkRefused, ServerLink, WebSocketLink
from octopus_agent.runtimes import detect_runtimes
from octopus_agent.spool import Spool, SpoolFull
from octopus_agent.window import OutputWindow

log = logging.getLogger("octopus_agent")

# JSON for a string (quotes and escapes; non-ASCII kept as is), in C.
_json_text = json.encoder.encode_basestring

MAX_LINES_PER_MESSAGE = 2000
SEEN_RUNS_KEPT = 7 * 24 * 3600  # seconds


def as_lines(body: str) -> str:
    """A log message body with blocks, as protocol 1 had it: a list entry per line."""
    message = json.loads(body)
    lines = [
        [first + i, ts, stream, text]
        for first, ts, stream, joined in message.pop("blocks", [])
        for i, text in enumerate(joined.split("\n"))
    ]
    message["lines"] = message.get("lines", []) + lines
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Agent:
    def __init__(self, config: Config, link: ServerLink | None = None) -> None:
        self.config = config
        self.link: ServerLink = link or WebSocketLink(config.websocket_urls, config.token)
        self.spool = Spool(config.data_dir / "spool.sqlite3", config.spool_max_bytes)
        self.window = OutputWindow(config.output_window_bytes, lambda: self.spool.pending_bytes)
        self.labels: list[str] = list(config.labels)
        self.executions: dict[int, Execution] = {}
        self.run_tasks: dict[int, asyncio.Task[None]] = {}
        # Per run, output not yet spooled: blocks as JSON, with their number of lines.
        self.buffers: dict[int, list[tuple[str, int]]] = {}
        self.buffered_lines: dict[int, int] = {}
        self.server_protocol = protocol.PROTOCOL_VERSION  # as its welcome says
        self.dropped: dict[int, int] = {}
        self.connected = False
        self.draining = False
        self.heartbeat_interval = config.heartbeat_interval
        self.sent_upto = 0
        self._wake_sender = asyncio.Event()
        self._flush_needed = asyncio.Event()
        self._done = asyncio.Event()
        self._drain_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None

    # Life cycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        if self.config.detect_runtimes:
            self.labels = sorted(set(self.labels) | set(await detect_runtimes()))
        self.spool.forget_seen_before(time.time() - SEEN_RUNS_KEPT)
        log.info("worker %s starting, labels: %s", self.config.name, ",".join(self.labels))
        for name in self.config.pass_env:
            if name not in os.environ:
                log.warning("--pass-env %s: not set here, so jobs do not get it", name)
        side_tasks = {
            asyncio.create_task(self._link_loop(), name="link"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._flush_loop(), name="flusher"),
        }
        done_waiter = asyncio.create_task(self._done.wait(), name="done")
        try:
            finished, _ = await asyncio.wait(
                {*side_tasks, done_waiter}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in finished:
                if task is not done_waiter and task.exception():
                    # A side task must never end; if one dies the agent stops loudly.
                    log.error("side task %s died", task.get_name(), exc_info=task.exception())
        finally:
            for task in (*side_tasks, done_waiter):
                task.cancel()
            await asyncio.gather(*side_tasks, done_waiter, return_exceptions=True)
            for execution in self.executions.values():
                execution.stop(protocol.OUTCOME_CANCELLED, "worker stopped", grace=0)
            if self.run_tasks:
                # Let the killed runs write their final report before the outbox closes.
                await asyncio.wait(list(self.run_tasks.values()), timeout=10)
            await self.link.close()
            self.spool.close()
            log.info("worker %s stopped", self.config.name)

    def request_stop(self, force: bool = False) -> None:
        """First call: drain (no new runs; running ones may finish up to the drain timeout).
        Second call, or force: kill the runs now, report them and leave."""
        if self.draining or force:
            log.warning("stopping now: killing %d run(s)", len(self.executions))
            for execution in self.executions.values():
                execution.stop(protocol.OUTCOME_CANCELLED, "worker stopped", grace=1.0)
            if not self._drain_task:
                self._drain_task = asyncio.create_task(self._drain(0))
            return
        self.draining = True
        log.info(
            "draining: no new runs; waiting up to %g s for %d running",
            self.config.drain_timeout,
            len(self.executions),
        )
        self._drain_task = asyncio.create_task(self._drain(self.config.drain_timeout))
        # Tell the server at once, so it stops sending runs here.
        self._heartbeat_task = asyncio.create_task(self._send_heartbeat())

    async def _drain(self, timeout: float) -> None:
        self.draining = True
        if self.run_tasks:
            _done, pending = await asyncio.wait(list(self.run_tasks.values()), timeout=timeout)
            if pending:
                for execution in self.executions.values():
                    execution.stop(
                        protocol.OUTCOME_CANCELLED,
                        f"worker shut down: still running after {timeout:g} s of draining",
                    )
                await asyncio.wait(pending)
        self._flush_all()
        # Give the link a moment to deliver what is left; the outbox keeps the rest.
        deadline = time.monotonic() + 5
        while self.connected and self.spool.count() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self._done.set()

    # Runs ---------------------------------------------------------------------------------

    def _accept_run(self, spec: protocol.RunSpec) -> None:
        if self.draining:
            # The server puts it back in the queue for another worker.
            self._spool(
                protocol.RUN_FINISHED,
                self._finished_body(
                    spec.run_id,
                    Outcome(protocol.OUTCOME_START_FAILED, reason="rejected: worker is draining"),
                    0,
                    rejected=True,
                ),
                force=True,
            )
            return
        if not self.spool.mark_seen(spec.run_id):
            return  # sent again after a reconnect: already running or done here
        # Registered now, not when the task first runs, so that a cancel right behind the
        # run message finds it.
        execution = Execution(
            spec,
            on_line=partial(self._on_line, spec.run_id),
            max_line_bytes=self.config.max_line_bytes,
            on_start=partial(self._on_started, spec.run_id),
            on_lines=partial(self._on_lines, spec.run_id),
            window=self.window,
            worker_name=self.config.name,
            pass_env=self.config.pass_env,
        )
        self.executions[spec.run_id] = execution
        self.run_tasks[spec.run_id] = asyncio.create_task(
            self._execute(execution), name=f"run-{spec.run_id}"
        )

    async def _execute(self, execution: Execution) -> None:
        spec = execution.spec
        run_id = spec.run_id
        log.info("run %s of %s starting", run_id, spec.job_name)
        try:
            outcome = await execution.run()
        except Exception as exc:  # an agent bug must still end the run with a reason
            log.exception("run %s crashed the executor", run_id)
            outcome = Outcome(protocol.OUTCOME_START_FAILED, reason=f"agent error: {exc}")
        finally:
            self.executions.pop(run_id, None)
            self.run_tasks.pop(run_id, None)
        self._flush_run(run_id)
        dropped = self.dropped.pop(run_id, 0)
        if dropped:
            # Said in the run's own log, so nobody mistakes the gap for silence.
            execution.system_line(
                f"octopus: {dropped} output line(s) were dropped: the worker's outbox was full "
                "while the server was unreachable"
            )
            self._flush_run(run_id, force=True)
        self._spool(
            protocol.RUN_FINISHED, self._finished_body(run_id, outcome, execution.seq), force=True
        )
        log.info(
            "run %s finished: %s %s",
            run_id,
            outcome.outcome,
            outcome.reason or f"exit {outcome.exit_code}",
        )

    @staticmethod
    def _finished_body(
        run_id: int, outcome: Outcome, last_seq: int, rejected: bool = False
    ) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "outcome": outcome.outcome,
            "exit_code": outcome.exit_code,
            "signal": outcome.signal,
            "reason": outcome.reason,
            "finished_at": time.time(),
            "last_seq": last_seq,
            "rejected": rejected,
        }

    def _on_started(self, run_id: int, pid: int) -> None:
        self._spool(
            protocol.RUN_STARTED,
            {"run_id": run_id, "pid": pid, "started_at": time.time()},
            force=True,
        )

    def _on_line(self, run_id: int, seq: int, ts: float, stream: str, text: str) -> None:
        self._on_lines(run_id, seq, ts, stream, [text])

    def _on_lines(self, run_id: int, first: int, ts: float, stream: str, texts: list[str]) -> None:
        # Lines read together go as one block ([first_seq, ts, stream, texts joined by
        # "\n"]), its JSON written here once: encoding a list per line would cost the
        # agent and the server several times more per line.
        block = f"[{first},{round(ts, 6)!r},{_json_text(stream)},{_json_text(chr(10).join(texts))}]"
        buffer = self.buffers.setdefault(run_id, [])
        buffer.append((block, len(texts)))
        self.buffered_lines[run_id] = lines = self.buffered_lines.get(run_id, 0) + len(texts)
        if lines >= MAX_LINES_PER_MESSAGE:
            self._flush_run(run_id)
        else:
            self._flush_needed.set()

    def _flush_run(self, run_id: int, force: bool = False) -> None:
        blocks = self.buffers.pop(run_id, None)
        self.buffered_lines.pop(run_id, None)
        if not blocks:
            return
        body = f'{{"run_id":{run_id},"blocks":[{",".join(block for block, _ in blocks)}]}}'
        try:
            self.spool.append_text(protocol.LOG, body, force=force)
        except SpoolFull:
            self.dropped[run_id] = self.dropped.get(run_id, 0) + sum(n for _, n in blocks)
        self._wake_sender.set()

    def _flush_all(self) -> None:
        for run_id in list(self.buffers):
            self._flush_run(run_id)

    def _spool(self, msg_type: str, body: dict[str, Any], force: bool = False) -> None:
        self.spool.append(msg_type, body, force=force)
        self._wake_sender.set()

    async def _flush_loop(self) -> None:
        while True:
            await self._flush_needed.wait()
            await asyncio.sleep(LOG_FLUSH_INTERVAL)
            self._flush_needed.clear()
            self._flush_all()

    # Link ---------------------------------------------------------------------------------

    def _hello(self) -> dict[str, Any]:
        return {
            "type": protocol.HELLO,
            "protocol": protocol.PROTOCOL_VERSION,
            "name": self.config.name,
            "hostname": socket.gethostname(),
            "labels": self.labels,
            "version": __version__,
            "running": sorted(self.executions),
            "draining": self.draining,
        }

    async def _link_loop(self) -> None:
        delay = 0.2
        was_down = False
        while True:
            try:
                await self.link.open()
                await self.link.send(self._hello())
                welcome = await self.link.receive()
                if welcome.get("type") == protocol.REFUSE:
                    raise LinkRefused(welcome.get("reason", "refused"))
                self.heartbeat_interval = welcome.get("heartbeat_interval", self.heartbeat_interval)
                self.server_protocol = int(welcome.get("protocol", 1))
                self.connected = True
                self.window.enforce(True)
                self.sent_upto = 0  # resend everything not yet acknowledged
                delay = 0.2
                log.info(
                    "connected to %s%s (%d message(s) to deliver)",
                    self.config.server,
                    " again" if was_down else "",
                    self.spool.count(),
                )
                was_down = False
                await self._session()
            except LinkRefused as exc:
                log.error("%s; retrying in 30 s", exc)
                delay = 30.0
            except LinkDown as exc:
                if not was_down:
                    log.warning(
                        "server %s unreachable (%s); runs go on, output is spooled",
                        self.config.server,
                        exc,
                    )
                was_down = True
            finally:
                self.connected = False
                self.window.enforce(False)  # the outbox on disk takes it all meanwhile
                with contextlib.suppress(Exception):
                    await self.link.close()
            await asyncio.sleep(delay)
            # Back off, but never past a heartbeat interval: a server that restarted must
            # hear from its workers before it could judge them silent.
            delay = min(delay * 2, RECONNECT_MAX_DELAY, max(self.heartbeat_interval, 0.2))

    async def _session(self) -> None:
        receiver = asyncio.create_task(self._receive_loop(), name="receiver")
        sender = asyncio.create_task(self._send_loop(), name="sender")
        try:
            done, _ = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # re-raise LinkDown (or a bug)
        finally:
            receiver.cancel()
            sender.cancel()
            await asyncio.gather(receiver, sender, return_exceptions=True)

    async def _receive_loop(self) -> None:
        while True:
            message = await self.link.receive()
            kind = message.get("type")
            if kind == protocol.ACK:
                self.spool.ack(int(message["upto"]))
                self.window.changed()
            elif kind == protocol.RUN:
                self._accept_run(protocol.RunSpec.from_dict(message["run"]))
            elif kind == protocol.REFUSE:
                raise LinkRefused(f"the server dropped this worker: {message.get('reason')}")
            elif kind == protocol.CANCEL:
                execution = self.executions.get(int(message["run_id"]))
                if execution:
                    execution.stop(
                        protocol.OUTCOME_CANCELLED,
                        message.get("reason") or "cancelled",
                        grace=float(message.get("grace", 10)),
                    )
            else:
                log.warning("ignoring unknown message type %r", kind)

    async def _send_loop(self) -> None:
        while True:
            # Clear before reading: an append after this point sets the event again.
            self._wake_sender.clear()
            batch = self.spool.pending_raw(self.sent_upto)
            if not batch:
                await self._wake_sender.wait()
                continue
            for msg_id, msg_type, body in batch:
                if msg_type == protocol.LOG and self.server_protocol < protocol.BLOCKS_SINCE:
                    body = as_lines(body)  # a server not yet upgraded
                # The stored JSON goes out as it is, with the type and id put in front:
                # decoding and encoding large log batches again would cost more than
                # running the job.
                rest = "," + body[1:] if body != "{}" else "}"
                await self.link.send_text(f'{{"type":"{msg_type}","id":{msg_id}{rest}')
                self.sent_upto = msg_id

    # Heartbeat ----------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        return {
            "cpu": psutil.cpu_percent(None),
            "memory": psutil.virtual_memory().percent,
            "load1": os.getloadavg()[0],
            "running": len(self.executions),
            "spooled": self.spool.count(),
        }

    async def _send_heartbeat(self) -> None:
        if not self.connected:
            return
        with contextlib.suppress(LinkDown):
            await self.link.send(
                {
                    "type": protocol.HEARTBEAT,
                    "load": self._load(),
                    "running": sorted(self.executions),
                    "draining": self.draining,
                }
            )

    async def _heartbeat_loop(self) -> None:
        psutil.cpu_percent(None)  # the first reading only starts the measurement
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            await self._send_heartbeat()
