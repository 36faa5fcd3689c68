"""Output backpressure: a job printing faster than a connected server takes its lines is
slowed to the server's pace; an unreachable server never holds a job back."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from octopus_agent import protocol
from octopus_agent.testing import FakeServerLink
from tests.agent.support import StartAgent, eventually, log_lines, run_message

LINES = 200_000  # about 1.3 MB of output: more than the pipe and the window hold
WINDOW = 64 * 1024


def received_lines(link: FakeServerLink, run_id: int) -> list[tuple[int, str]]:
    return [
        (seq, text) for seq, _, _, text in log_lines(link.messages(protocol.LOG, run_id=run_id))
    ]


async def ack_everything(link: FakeServerLink) -> None:
    while True:
        spooled = [m for m in link.sent if m.get("type") in protocol.SPOOLED_TYPES]
        if spooled:
            with contextlib.suppress(Exception):
                await link.push({"type": protocol.ACK, "upto": spooled[-1]["id"]})
        await asyncio.sleep(0.05)


async def test_a_fast_printer_waits_for_the_server_and_loses_nothing(
    start_agent: StartAgent,
) -> None:
    link = FakeServerLink()  # acknowledges nothing until told: the server is "slow"
    worker = await start_agent(link, output_window_bytes=WINDOW)
    # A heartbeat timeout shorter than the hold: time held back is not silence.
    await link.push(run_message(1, f"seq 1 {LINES}", heartbeat_timeout=1.0))
    await link.wait_for(protocol.LOG, run_id=1)
    await asyncio.sleep(2.0)
    assert 1 in worker.agent.executions, "the job went on as if nothing held it back"
    backlog = worker.agent.spool.pending_bytes
    assert WINDOW < backlog < WINDOW + 512 * 1024, backlog  # held near the window
    assert len(received_lines(link, 1)) < LINES

    acker = asyncio.create_task(ack_everything(link))  # the server catches up
    try:
        finished = await link.wait_for(protocol.RUN_FINISHED, run_id=1, timeout=60)
    finally:
        acker.cancel()
    assert (finished["outcome"], finished["exit_code"]) == (protocol.OUTCOME_EXITED, 0)
    lines = received_lines(link, 1)
    assert [seq for seq, _ in lines] == list(range(1, LINES + 1))  # each once, in order
    assert [text for _, text in lines[:3]] == ["1", "2", "3"]
    assert lines[-1][1] == str(LINES)


async def test_an_unreachable_server_never_holds_a_job_back(
    start_agent: StartAgent, tmp_path: Path
) -> None:
    link = FakeServerLink()
    worker = await start_agent(link, output_window_bytes=WINDOW)
    gate = "while [ ! -e go ]; do sleep 0.02; done"
    await link.push(run_message(2, f"{gate}; seq 1 {LINES}", workdir=str(tmp_path)))
    await link.wait_for(protocol.RUN_STARTED, run_id=2)
    link.down = True  # from now on the outbox on disk takes the output
    await eventually(lambda: not worker.agent.connected)
    (tmp_path / "go").touch()
    await eventually(lambda: not worker.agent.run_tasks, timeout=30)  # ran to its end
    assert worker.agent.spool.pending_bytes > 1_000_000  # all of it waits on disk
    link.down = False
    acker = asyncio.create_task(ack_everything(link))
    try:
        await link.wait_for(protocol.RUN_FINISHED, run_id=2, timeout=60)
    finally:
        acker.cancel()
    assert [seq for seq, _ in received_lines(link, 2)] == list(range(1, LINES + 1))
