"""Run one command: a shell in its own process group, its output read line by line.

The executor knows nothing of the server. It reports each output line to a callback and
returns how the process ended; the agent turns both into protocol messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from octopus_agent import protocol
from octopus_agent.window import OutputWindow

READ_CHUNK = 64 * 1024
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
PIPE_DRAIN = 5.0  # seconds to keep reading after the shell exits (children may hold pipes)
# All a job gets of the agent's own environment, besides what the worker's operator names
# (--pass-env). The rest (the worker token; under `octopus up` the server's settings and
# secrets too) never reaches a job.
ALLOWED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TZ", "TMPDIR")
ALLOWED_ENV_PREFIX = "LC_"

LineCallback = Callable[[int, float, str, str], None]  # seq, ts, stream, text
# first seq, ts, stream, texts: lines read together (seqs first, first + 1, ...)
LinesCallback = Callable[[int, float, str, list[str]], None]


@dataclass(slots=True)
class Outcome:
    outcome: str
    exit_code: int | None = None
    signal: int | None = None
    reason: str = ""
    pid: int | None = None


def decode_line(raw: bytes) -> str:
    """Bytes to readable text: invalid UTF-8 as \\xNN escapes, NUL escaped (databases
    refuse it), a trailing CR dropped."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


class LineSplitter:
    """Cut a byte stream into lines; a line longer than `max_bytes` is cut with a marker.

    Lines go out in batches (`emit_many`, one call per chunk fed) when given, else one by
    one (`emit`). A fast job's chunk holds thousands of lines: they are decoded and split
    in one go, so the work per line stays in C.
    """

    def __init__(
        self,
        max_bytes: int,
        emit: Callable[[str], None],
        emit_many: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.emit = emit
        self.emit_many = emit_many or self._emit_each
        self.buffer = bytearray()
        self.discarding = 0  # bytes of an over-long line dropped so far

    def feed(self, data: bytes) -> None:
        if self.discarding:
            newline = data.find(b"\n")
            if newline < 0:
                self.discarding += len(data)
                return
            data = data[newline + 1 :]  # the rest of a line already cut and reported
            self.discarding = 0
        self.buffer += data
        end = self.buffer.rfind(b"\n")
        if end >= 0:
            complete = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            self.emit_many(self._lines(complete))
        if len(self.buffer) > self.max_bytes:
            self._cut()

    def _emit_each(self, lines: list[str]) -> None:
        for line in lines:
            self.emit(line)

    def _lines(self, complete: bytes) -> list[str]:
        """The lines of `complete` (newline-separated, without the final newline)."""
        parts = complete.split(b"\n")
        if max(map(len, parts)) > self.max_bytes:
            return [
                decode_line(part) if len(part) <= self.max_bytes else self._cut_line(part)
                for part in parts
            ]
        # Decoding the whole stretch at once gives what decoding each line would: a newline
        # is never part of a multi-byte character, so no character spans two lines.
        text = complete.decode("utf-8", errors="backslashreplace")
        if "\x00" in text:
            text = text.replace("\x00", "\\x00")
        lines = text.split("\n")
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        return lines

    def _cut_line(self, line: bytes) -> str:
        return f"{decode_line(line[: self.max_bytes])} …[line cut at {self.max_bytes} bytes]"

    def _cut(self) -> None:
        """The partial line in the buffer is already too long: emit its head, drop the rest
        up to the next newline."""
        self.emit_many([self._cut_line(bytes(self.buffer))])
        self.discarding = len(self.buffer) - self.max_bytes or 1
        self.buffer.clear()

    def close(self) -> None:
        if self.buffer and not self.discarding:
            self.emit_many([decode_line(bytes(self.buffer))])
        self.buffer.clear()


def _account_kwargs(run_as: str) -> tuple[dict[str, Any], dict[str, str]] | str:
    """Popen kwargs and env for running as `run_as`, or the reason it cannot be done."""
    if not run_as:
        return {}, {}
    try:
        account = pwd.getpwnam(run_as)
    except KeyError:
        return f"could not start: no such account {run_as!r} on this worker"
    if os.geteuid() == account.pw_uid:
        return {}, {}
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return (
            f"could not start: the worker runs as {me!r}, not root, so it cannot run as {run_as!r}"
        )
    kwargs: dict[str, Any] = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    env = {"HOME": account.pw_dir, "USER": run_as, "LOGNAME": run_as, "SHELL": account.pw_shell}
    return kwargs, env


def job_environment(
    spec_env: Mapping[str, str],
    account_env: Mapping[str, str] | None = None,
    worker_name: str = "",
    pass_env: Iterable[str] = (),
    agent_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A job's environment, made rather than inherited. Later sources win: the allowlist of
    the agent's environment, the variables its operator passes, the `run_as` account's
    HOME/USER/LOGNAME/SHELL, the spec's env (the job's env, then the run's OCTOPUS_*
    variables, as the server puts them), and last OCTOPUS_WORKER, which the job cannot fake."""
    if agent_env is None:
        agent_env = os.environ
    env = {
        name: value
        for name, value in agent_env.items()
        if name in ALLOWED_ENV or name.startswith(ALLOWED_ENV_PREFIX)
    }
    env.update({name: agent_env[name] for name in pass_env if name in agent_env})
    env.update(account_env or {})
    env.update(spec_env)
    if worker_name:
        env["OCTOPUS_WORKER"] = worker_name
    return env


class Execution:
    """One run of one command. Call `run()` once; `cancel()` may be called any time."""

    def __init__(
        self,
        spec: protocol.RunSpec,
        on_line: LineCallback,
        max_line_bytes: int = 64 * 1024,
        on_start: Callable[[int], None] | None = None,
        on_lines: LinesCallback | None = None,
        window: OutputWindow | None = None,
        worker_name: str = "",
        pass_env: Iterable[str] = (),
    ) -> None:
        self.spec = spec
        self.worker_name = worker_name  # given to the job as OCTOPUS_WORKER
        self.pass_env = tuple(pass_env)  # names of agent variables the job also gets
        self.window = window
        self.held_back = 0  # readers waiting for room in the output window
        self.on_line = on_line
        self.on_lines = on_lines
        self.on_start = on_start
        self.max_line_bytes = max_line_bytes
        self.seq = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.last_output = time.monotonic()
        self._stop_reason: str | None = None  # outcome forced by us: timed_out, hung, ...
        self._stop_detail = ""
        self._killer: asyncio.Task[None] | None = None

    def _line(self, stream: str, text: str) -> None:
        self.seq += 1
        self.last_output = time.monotonic()
        self.on_line(self.seq, time.time(), stream, text)

    def _lines(self, stream: str, texts: list[str]) -> None:
        """Lines read together: one time for all of them."""
        if not texts:
            return
        first = self.seq + 1
        self.seq += len(texts)
        self.last_output = time.monotonic()
        now = time.time()
        if self.on_lines is not None:
            self.on_lines(first, now, stream, texts)
        else:
            for i, text in enumerate(texts):
                self.on_line(first + i, now, stream, text)

    def system_line(self, text: str) -> None:
        """A line of the agent's own about this run (why it was killed, ...)."""
        self.seq += 1
        self.on_line(self.seq, time.time(), protocol.SYSTEM, text)

    async def run(self) -> Outcome:
        spec = self.spec
        if self._stop_reason:  # stopped before it started: never start it
            return Outcome(self._stop_reason, reason=self._stop_detail)
        account = _account_kwargs(spec.run_as)
        if isinstance(account, str):
            return Outcome(protocol.OUTCOME_START_FAILED, reason=account)
        popen_kwargs, account_env = account
        if spec.workdir and not Path(spec.workdir).is_dir():
            return Outcome(
                protocol.OUTCOME_START_FAILED,
                reason=f"could not start: working directory {spec.workdir!r} does not exist",
            )
        env = job_environment(spec.env, account_env, self.worker_name, self.pass_env)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                "/bin/sh",
                "-c",
                spec.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # own process group: we kill the whole tree
                cwd=spec.workdir or None,
                env=env,
                **popen_kwargs,
            )
        except OSError as exc:
            return Outcome(protocol.OUTCOME_START_FAILED, reason=f"could not start: {exc}")
        if self._stop_reason:  # stopped while the process was being started
            self._signal_group(signal.SIGKILL)
        if self.on_start:
            self.on_start(self.proc.pid)
        readers = [
            asyncio.create_task(self._read(self.proc.stdout, protocol.STDOUT)),
            asyncio.create_task(self._read(self.proc.stderr, protocol.STDERR)),
        ]
        watchdog = asyncio.create_task(self._watch())
        try:
            returncode = await self._wait_exit(readers)
        finally:
            watchdog.cancel()
        # Children that outlive the shell may hold the pipes open: read on a little, then stop.
        _done, pending = await asyncio.wait(readers, timeout=PIPE_DRAIN)
        for task in pending:
            task.cancel()
        if pending:
            self.system_line("octopus: stopped reading output held open by leftover processes")
            self.proc._transport.close()  # type: ignore[attr-defined]
        if self._killer:
            self._killer.cancel()
        if self._stop_reason:
            # The shell is gone but what is left of a stopped run (a child that ignores
            # SIGTERM) would outlive the cancelled killer: kill it now.
            self._signal_group(signal.SIGKILL)
        return self._outcome(returncode)

    async def _wait_exit(self, readers: list[asyncio.Task[None]]) -> int:
        """The shell's exit status. On Python 3.11 `Process.wait()` also waits for the pipes
        to close, which leftover children can delay forever, so watch the return code too."""
        assert self.proc is not None
        waiter = asyncio.ensure_future(self.proc.wait())
        pending: set[asyncio.Future[Any]] = {waiter, *readers}
        while True:
            _done, pending = await asyncio.wait(
                pending, timeout=0.2, return_when=asyncio.FIRST_COMPLETED
            )
            if waiter.done() or all(r.done() for r in readers):
                return await waiter
            if self.proc.returncode is not None:
                waiter.cancel()
                return self.proc.returncode

    def _outcome(self, returncode: int) -> Outcome:
        pid = self.proc.pid if self.proc else None
        if self._stop_reason:
            return Outcome(
                self._stop_reason,
                exit_code=returncode if returncode >= 0 else None,
                signal=-returncode if returncode < 0 else None,
                reason=self._stop_detail,
                pid=pid,
            )
        if returncode < 0:
            sig = -returncode
            return Outcome(
                protocol.OUTCOME_EXITED,
                signal=sig,
                reason=f"killed by signal {signal.Signals(sig).name}",
                pid=pid,
            )
        return Outcome(protocol.OUTCOME_EXITED, exit_code=returncode, pid=pid)

    async def _read(self, stream: asyncio.StreamReader | None, name: str) -> None:
        assert stream is not None
        splitter = LineSplitter(
            self.max_line_bytes,
            lambda text: self._line(name, text),
            lambda texts: self._lines(name, texts),
        )
        while True:
            if self.window is not None and not self.window.has_room():
                await self._hold_back()
            data = await stream.read(READ_CHUNK)
            if not data:
                break
            splitter.feed(data)
        splitter.close()

    async def _hold_back(self) -> None:
        """Wait for room in the output window (the job blocks on its full pipe meanwhile).
        Time held back is not the job's silence: it does not count towards hung."""
        assert self.window is not None
        self.held_back += 1
        try:
            await self.window.wait_for_room()
        finally:
            self.held_back -= 1
            self.last_output = time.monotonic()

    async def _watch(self) -> None:
        """Kill the run at its timeout, or when it has been silent for its heartbeat timeout."""
        spec = self.spec
        started = time.monotonic()
        while True:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            if spec.timeout and now - started >= spec.timeout:
                self.stop(protocol.OUTCOME_TIMED_OUT, f"timed out after {spec.timeout:g} s")
                return
            if self.held_back:
                continue
            if spec.heartbeat_timeout and now - self.last_output >= spec.heartbeat_timeout:
                self.stop(
                    protocol.OUTCOME_HUNG,
                    f"hung: no output or heartbeat for {spec.heartbeat_timeout:g} s",
                )
                return

    def stop(self, outcome: str, detail: str, grace: float = KILL_GRACE) -> None:
        """SIGTERM the process group now and SIGKILL it after `grace` seconds. Before the
        process has started, make `run()` not start it."""
        if self._stop_reason or (self.proc is not None and self.proc.returncode is not None):
            return
        self._stop_reason = outcome
        self._stop_detail = detail
        if self.proc is None:
            return
        self.system_line(f"octopus: {detail}; sending SIGTERM to the process group")
        self._signal_group(signal.SIGTERM)
        self._killer = asyncio.create_task(self._kill_later(grace))

    async def _kill_later(self, grace: float) -> None:
        await asyncio.sleep(grace)
        if self.proc and self.proc.returncode is None:
            self.system_line(f"octopus: still running {grace:g} s after SIGTERM; sending SIGKILL")
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)
