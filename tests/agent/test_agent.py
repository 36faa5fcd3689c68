from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from octopus_agent import protocol
from octopus_agent.testing import FakeServerLink
from tests.agent.support import StartAgent, eventually, log_lines, run_message

WAIT_GATE = "while [ ! -e go ]; do sleep 0.02; done"  # runs until the test creates ./go


def spooled(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] in protocol.SPOOLED_TYPES]


def after_hello(link: FakeServerLink, nth: int) -> list[dict[str, Any]]:
    """What the agent sent on its `nth` connection (1 = the first) and later."""
    hello = link.messages(protocol.HELLO)[nth - 1]
    return link.sent[next(i for i, m in enumerate(link.sent) if m is hello) + 1 :]


async def test_it_reports_a_run_started_its_lines_and_how_it_finished(
    start_agent: StartAgent,
) -> None:
    worker = await start_agent(labels=["linux"])
    hello = worker.link.messages(protocol.HELLO)[0]
    assert hello["name"] == "test-worker"
    assert hello["labels"] == ["linux"]
    assert hello["protocol"] == protocol.PROTOCOL_VERSION
    assert hello["running"] == []

    await worker.link.push(run_message(1, "echo one; echo two >&2; echo three; exit 4"))
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)

    messages = spooled(worker.link.sent)
    ids = [m["id"] for m in messages]
    assert ids == sorted(set(ids))  # increasing, each sent once
    assert messages[0]["type"] == protocol.RUN_STARTED
    assert messages[0]["run_id"] == 1
    assert isinstance(messages[0]["pid"], int)
    assert messages[-1] is finished
    lines = log_lines(messages)
    assert [seq for seq, _, _, _ in lines] == [1, 2, 3]
    assert [text for _, _, stream, text in lines if stream == protocol.STDOUT] == ["one", "three"]
    assert [text for _, _, stream, text in lines if stream == protocol.STDERR] == ["two"]
    assert finished["outcome"] == protocol.OUTCOME_EXITED
    assert finished["exit_code"] == 4
    assert finished["signal"] is None
    assert finished["last_seq"] == 3
    assert finished["rejected"] is False
    await eventually(lambda: worker.agent.spool.count() == 0)  # every message acknowledged


async def test_it_sends_unacknowledged_messages_again_after_a_reconnect(
    start_agent: StartAgent,
) -> None:
    link = FakeServerLink()  # acknowledges nothing unless told
    worker = await start_agent(link)
    await link.push(run_message(1, "echo a; echo b"))
    await link.wait_for(protocol.RUN_FINISHED, run_id=1)
    first = spooled(link.sent)

    link.down = True
    link.down = False
    await link.wait_for(protocol.RUN_FINISHED, run_id=1, count=2)
    assert spooled(after_hello(link, 2)) == first  # the same messages, same ids, same order

    await link.push({"type": protocol.ACK, "upto": first[-1]["id"]})
    await eventually(lambda: worker.agent.spool.count() == 0)
    link.down = True
    link.down = False
    await link.wait_for(protocol.HELLO, count=3)
    await link.push(run_message(2, "echo c"))
    await link.wait_for(protocol.RUN_FINISHED, run_id=2)
    again = spooled(after_hello(link, 3))
    assert {m["run_id"] for m in again} == {2}  # nothing acknowledged came back
    assert min(m["id"] for m in again) > first[-1]["id"]


async def test_it_keeps_running_while_the_link_is_down(
    start_agent: StartAgent, tmp_path: Path
) -> None:
    worker = await start_agent()
    command = f"echo before; {WAIT_GATE}; echo after"
    await worker.link.push(run_message(1, command, workdir=str(tmp_path)))
    await worker.link.wait_for(protocol.LOG, run_id=1)
    worker.link.down = True
    (tmp_path / "go").touch()
    await eventually(lambda: not worker.agent.run_tasks)  # finished, output spooled
    assert worker.agent.spool.count() > 0
    worker.link.down = False
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    assert finished["exit_code"] == 0
    lines = {
        seq: text for seq, _, _, text in log_lines(worker.link.messages(protocol.LOG, run_id=1))
    }
    assert lines == {1: "before", 2: "after"}


async def test_it_runs_a_run_sent_twice_only_once(start_agent: StartAgent, tmp_path: Path) -> None:
    worker = await start_agent()
    await worker.link.push(run_message(1, "echo once"))
    await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    await worker.link.push(run_message(1, "echo once"))  # sent again, as after a reconnect
    await worker.link.push(run_message(2, "true"))  # handled after the repeat
    await worker.link.wait_for(protocol.RUN_FINISHED, run_id=2)
    assert len(worker.link.messages(protocol.RUN_STARTED, run_id=1)) == 1
    assert len(worker.link.messages(protocol.RUN_FINISHED, run_id=1)) == 1

    # Also after the agent restarts on the same data directory.
    worker.link.down = True
    worker.agent.request_stop(force=True)
    await asyncio.wait_for(worker.task, 15)
    again = await start_agent(data_dir=tmp_path / "agent")
    await again.link.push(run_message(1, "echo once"))
    await again.link.push(run_message(3, "true"))
    await again.link.wait_for(protocol.RUN_FINISHED, run_id=3)
    assert again.link.messages(protocol.RUN_STARTED, run_id=1) == []


async def test_it_rejects_new_runs_while_draining_and_lets_running_ones_finish(
    start_agent: StartAgent, tmp_path: Path
) -> None:
    worker = await start_agent()
    await worker.link.push(run_message(1, f"{WAIT_GATE}; echo done", workdir=str(tmp_path)))
    await worker.link.wait_for(protocol.RUN_STARTED, run_id=1)

    worker.agent.request_stop()
    heartbeat = await worker.link.wait_for(protocol.HEARTBEAT, draining=True)
    assert heartbeat["running"] == [1]
    await worker.link.push(run_message(2, "echo never"))
    rejected = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=2)
    assert rejected["rejected"] is True
    assert rejected["outcome"] == protocol.OUTCOME_START_FAILED
    assert rejected["reason"] == "rejected: worker is draining"
    assert not worker.task.done()

    (tmp_path / "go").touch()
    await asyncio.wait_for(worker.task, 15)  # the agent leaves once the run is reported
    finished = worker.link.messages(protocol.RUN_FINISHED, run_id=1)
    assert len(finished) == 1
    assert (finished[0]["outcome"], finished[0]["exit_code"]) == (protocol.OUTCOME_EXITED, 0)
    assert finished[0]["rejected"] is False
    assert worker.link.messages(protocol.RUN_STARTED, run_id=2) == []


async def test_it_cancels_a_running_run(start_agent: StartAgent) -> None:
    worker = await start_agent()
    await worker.link.push(run_message(1, "echo ready; sleep 100"))
    await worker.link.wait_for(protocol.LOG, run_id=1)
    await worker.link.push({"type": protocol.CANCEL, "run_id": 1, "grace": 5})
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    assert finished["outcome"] == protocol.OUTCOME_CANCELLED
    assert finished["reason"] == "cancelled"
    system = [
        text
        for _, _, stream, text in log_lines(worker.link.messages(protocol.LOG, run_id=1))
        if stream == protocol.SYSTEM
    ]
    assert system[0] == "octopus: cancelled; sending SIGTERM to the process group"
    assert finished["last_seq"] >= 2


async def test_it_cancels_a_run_cancelled_as_soon_as_it_was_sent(
    start_agent: StartAgent, tmp_path: Path
) -> None:
    worker = await start_agent()
    marker = tmp_path / "ran"
    await worker.link.push(run_message(1, f"touch {marker}"))
    await worker.link.push({"type": protocol.CANCEL, "run_id": 1, "reason": "changed my mind"})
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    assert finished["outcome"] == protocol.OUTCOME_CANCELLED
    assert finished["reason"] == "changed my mind"
    assert not marker.exists()


async def test_lines_read_together_go_as_one_block(start_agent: StartAgent) -> None:
    worker = await start_agent()
    await worker.link.push(run_message(1, "printf 'a\\nb\\nc\\n'"))
    await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    messages = worker.link.messages(protocol.LOG, run_id=1)
    assert all("lines" not in m for m in messages)
    blocks = [block for m in messages for block in m["blocks"]]
    assert [(first, text) for first, _, _, text in blocks] == [(1, "a\nb\nc")]


async def test_a_server_before_blocks_gets_its_lines_one_by_one(start_agent: StartAgent) -> None:
    # A server not yet upgraded announces no protocol: what is spooled as blocks goes out
    # to it as protocol 1 had it, a list entry per line, so it loses nothing.
    link = FakeServerLink(auto_ack=True, welcome={"type": protocol.WELCOME, "worker_id": 1})
    worker = await start_agent(link=link)
    await worker.link.push(run_message(1, "printf 'a\\nb\\n'; echo c >&2"))
    await worker.link.wait_for(protocol.RUN_FINISHED, run_id=1)
    messages = worker.link.messages(protocol.LOG, run_id=1)
    assert all("blocks" not in m for m in messages)
    lines = [line for m in messages for line in m["lines"]]
    assert [(seq, stream, text) for seq, _, stream, text in lines] == [
        (1, "stdout", "a"),
        (2, "stdout", "b"),
        (3, "stderr", "c"),
    ]
