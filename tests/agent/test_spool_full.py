"""A full outbox while the server is away: a clear warning, the gap said in the run's log,
and the run's result kept."""

from __future__ import annotations

import logging

import pytest

from octopus_agent import protocol
from tests.agent.support import StartAgent, eventually, log_lines, run_message


async def test_it_warns_drops_lines_says_so_and_keeps_the_result(
    start_agent: StartAgent, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await start_agent(spool_max_bytes=200_000)
    worker.link.down = True  # the server is unreachable from now on
    caplog.set_level(logging.WARNING, logger="octopus_agent.spool")
    # The run arrived just before the link dropped.
    worker.agent._accept_run(protocol.RunSpec.from_dict(run_message(1, "seq 1 100000")["run"]))
    await eventually(lambda: not worker.agent.run_tasks, timeout=30)
    assert any("is full" in r.getMessage() for r in caplog.records)
    assert worker.agent.spool.pending_bytes < 400_000  # bounded (plus the forced result)

    worker.link.down = False
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1, timeout=15)
    assert (finished["outcome"], finished["exit_code"]) == (protocol.OUTCOME_EXITED, 0)
    lines = log_lines(worker.link.messages(protocol.LOG, run_id=1))
    seqs = [seq for seq, *_ in lines]
    assert seqs == sorted(seqs)
    note = lines[-1]
    assert note[2] == protocol.SYSTEM
    dropped = 100_000 - (len(lines) - 1)
    assert dropped > 0
    assert note[3] == (
        f"octopus: {dropped} output line(s) were dropped: the worker's outbox was full "
        "while the server was unreachable"
    )
