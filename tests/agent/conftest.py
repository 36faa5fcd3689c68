from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from octopus_agent import agent as agent_module
from octopus_agent.agent import Agent
from octopus_agent.testing import FakeServerLink
from tests.agent.support import (
    ProcessGroups,
    RunningAgent,
    StartAgent,
    make_config,
    set_subreaper,
)


@pytest.fixture
async def start_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StartAgent]:
    """Start an Agent on a FakeServerLink (auto-acking unless one is given) and stop it after
    the test: the link goes down, the agent is told to stop now, and must end."""
    monkeypatch.setattr(agent_module, "RECONNECT_MAX_DELAY", 0.2)
    started: list[RunningAgent] = []

    async def start(
        link: FakeServerLink | None = None, data_dir: Path | None = None, **config: Any
    ) -> RunningAgent:
        link = link or FakeServerLink(auto_ack=True)
        agent = Agent(make_config(data_dir or tmp_path / "agent", **config), link=link)
        running = RunningAgent(agent, link, asyncio.create_task(agent.run()))
        started.append(running)
        await link.wait_for("hello")
        return running

    yield start
    for running in started:
        if not running.task.done():
            running.link.down = True
            running.agent.request_stop(force=True)
        await asyncio.wait_for(running.task, timeout=15)


@pytest.fixture
def process_groups() -> Iterator[ProcessGroups]:
    set_subreaper(True)
    groups = ProcessGroups()
    try:
        yield groups
    finally:
        for pgid in groups.pgids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-pgid, 0)[0]:
                    pass
        set_subreaper(False)
