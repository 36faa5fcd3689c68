"""Helpers shared by the agent tests."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from octopus_agent import protocol
from octopus_agent.agent import Agent
from octopus_agent.config import Config
from octopus_agent.testing import FakeServerLink

PR_SET_CHILD_SUBREAPER = 36


def make_config(data_dir: Path, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "server": "http://octopus.test",
        "token": "test-token",
        "name": "test-worker",
        "data_dir": data_dir,
        "heartbeat_interval": 0.2,
        "detect_runtimes": False,
        **overrides,
    }
    return Config(**settings)


def run_message(run_id: int, command: str, **spec: Any) -> dict[str, Any]:
    run = protocol.RunSpec(run_id=run_id, job_name=f"job-{run_id}", command=command, **spec)
    return {"type": protocol.RUN, "run": run.to_dict()}


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` is true; fail with TimeoutError after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


@dataclass
class RunningAgent:
    agent: Agent
    link: FakeServerLink
    task: asyncio.Task[None]


StartAgent = Callable[..., Awaitable[RunningAgent]]


class ProcessGroups:
    """Process groups a test started, killed and reaped at the end.

    PID 1 of some containers never reaps orphans: a dead orphan stays a zombie, and its
    process group still answers `killpg(pgid, 0)`. While this fixture is active the test
    process is the orphans' reaper (PR_SET_CHILD_SUBREAPER), so `gone()` can reap what is
    dead and tell whether anything of the group is still alive."""

    def __init__(self) -> None:
        self.pgids: list[int] = []

    def track(self, pgid: int) -> int:
        self.pgids.append(pgid)
        return pgid

    def gone(self, pgid: int) -> bool:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-pgid, os.WNOHANG)[0]:
                pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        return False

    async def wait_gone(self, pgid: int, timeout: float = 10.0) -> bool:
        with contextlib.suppress(TimeoutError):
            await eventually(lambda: self.gone(pgid), timeout)
        return self.gone(pgid)


def set_subreaper(on: bool) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def log_lines(messages: list[dict[str, Any]]) -> list[list[Any]]:
    """The [seq, ts, stream, text] of every line in these log messages, in order: from
    their blocks (lines read together, texts joined by a newline) or, as protocol 1 sent
    them, their lines."""
    lines: list[list[Any]] = []
    for message in messages:
        if message.get("type", protocol.LOG) != protocol.LOG:
            continue
        lines += message.get("lines", [])
        for first, ts, stream, text in message.get("blocks", []):
            lines += [[first + i, ts, stream, line] for i, line in enumerate(text.split("\n"))]
    return lines
