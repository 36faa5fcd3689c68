from __future__ import annotations

import asyncio
import os
import pwd
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from octopus_agent import executor, protocol
from octopus_agent.executor import Execution, Outcome
from tests.agent.support import ProcessGroups, eventually

RUN_TIMEOUT = 30.0  # only so that a broken executor cannot hang the suite


@dataclass
class Result:
    outcome: Outcome
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # seq, stream, text

    def texts(self, stream: str) -> list[str]:
        return [text for _, s, text in self.lines if s == stream]


def spec(command: str, **fields: Any) -> protocol.RunSpec:
    return protocol.RunSpec(run_id=1, job_name="job", command=command, **fields)


def execution(
    command: str, lines: list[tuple[int, str, str]], max_line_bytes: int = 64 * 1024, **fields: Any
) -> Execution:
    return Execution(
        spec(command, **fields),
        on_line=lambda seq, ts, stream, text: lines.append((seq, stream, text)),
        max_line_bytes=max_line_bytes,
    )


async def run(command: str, **fields: Any) -> Result:
    lines: list[tuple[int, str, str]] = []
    outcome = await asyncio.wait_for(execution(command, lines, **fields).run(), RUN_TIMEOUT)
    return Result(outcome, lines)


async def test_executor_reports_exit_zero() -> None:
    result = await run("echo hello")
    assert result.outcome.outcome == protocol.OUTCOME_EXITED
    assert result.outcome.exit_code == 0
    assert result.outcome.signal is None
    assert result.outcome.pid
    assert result.lines == [(1, protocol.STDOUT, "hello")]


async def test_executor_reports_a_failing_exit_code() -> None:
    result = await run("echo out; echo err >&2; exit 3")
    assert (result.outcome.outcome, result.outcome.exit_code) == (protocol.OUTCOME_EXITED, 3)
    assert result.outcome.reason == ""
    assert result.texts(protocol.STDOUT) == ["out"]
    assert result.texts(protocol.STDERR) == ["err"]


async def test_executor_numbers_lines_of_both_streams_in_order() -> None:
    result = await run('for i in $(seq 1 50); do echo "out $i"; echo "err $i" >&2; done')
    assert [seq for seq, _, _ in result.lines] == list(range(1, 101))
    assert result.texts(protocol.STDOUT) == [f"out {i}" for i in range(1, 51)]
    assert result.texts(protocol.STDERR) == [f"err {i}" for i in range(1, 51)]


async def test_executor_reports_a_kill_by_signal() -> None:
    result = await run("echo before; kill -9 $$; echo after")
    assert result.outcome.outcome == protocol.OUTCOME_EXITED
    assert result.outcome.signal == signal.SIGKILL
    assert result.outcome.exit_code is None
    assert result.outcome.reason == "killed by signal SIGKILL"
    assert result.texts(protocol.STDOUT) == ["before"]


async def test_executor_timeout_kills_the_whole_process_group(
    process_groups: ProcessGroups,
) -> None:
    # The shell waits for a child; both must die at the timeout.
    result = await run("sleep 100 & echo $!; wait", timeout=0.5)
    pgid = process_groups.track(result.outcome.pid or 0)
    assert result.outcome.outcome == protocol.OUTCOME_TIMED_OUT
    assert result.outcome.reason == "timed out after 0.5 s"
    assert result.outcome.signal == signal.SIGTERM
    assert any("timed out" in text for text in result.texts(protocol.SYSTEM))
    child = int(result.texts(protocol.STDOUT)[0])
    assert await process_groups.wait_gone(pgid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


async def test_executor_stop_kills_leftovers_that_ignore_sigterm(
    process_groups: ProcessGroups, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shell dies at SIGTERM, its child ignores it and holds stdout open: once the agent
    # stops reading, nothing of the stopped run may be left running.
    monkeypatch.setattr(executor, "PIPE_DRAIN", 0.3)
    lines: list[tuple[int, str, str]] = []
    ex = execution("(trap '' TERM; sleep 100) & echo started; wait", lines)
    task = asyncio.create_task(ex.run())
    await eventually(lambda: bool(lines))
    assert ex.proc is not None
    pgid = process_groups.track(ex.proc.pid)
    ex.stop(protocol.OUTCOME_CANCELLED, "cancelled", grace=60)
    outcome = await asyncio.wait_for(task, RUN_TIMEOUT)
    assert outcome.outcome == protocol.OUTCOME_CANCELLED
    assert await process_groups.wait_gone(pgid)


async def test_executor_heartbeat_timeout_reports_a_hung_run() -> None:
    result = await run("echo working; sleep 100", heartbeat_timeout=0.5)
    assert result.outcome.outcome == protocol.OUTCOME_HUNG
    assert result.outcome.reason == "hung: no output or heartbeat for 0.5 s"
    assert result.texts(protocol.STDOUT) == ["working"]


async def test_executor_stop_cancels_a_run() -> None:
    lines: list[tuple[int, str, str]] = []
    started: list[int] = []
    ex = Execution(
        spec("echo ready; sleep 100"),
        on_line=lambda seq, ts, stream, text: lines.append((seq, stream, text)),
        on_start=started.append,
    )
    task = asyncio.create_task(ex.run())
    await eventually(lambda: (1, protocol.STDOUT, "ready") in lines)
    ex.stop(protocol.OUTCOME_CANCELLED, "cancelled by alice")
    outcome = await asyncio.wait_for(task, RUN_TIMEOUT)
    assert outcome.outcome == protocol.OUTCOME_CANCELLED
    assert outcome.reason == "cancelled by alice"
    assert outcome.signal == signal.SIGTERM
    assert started == [outcome.pid]
    assert lines[-1][1:] == (
        protocol.SYSTEM,
        "octopus: cancelled by alice; sending SIGTERM to the process group",
    )


async def test_executor_stop_before_start_never_starts_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    lines: list[tuple[int, str, str]] = []
    ex = execution(f"touch {marker}", lines)
    ex.stop(protocol.OUTCOME_CANCELLED, "cancelled")
    outcome = await asyncio.wait_for(ex.run(), RUN_TIMEOUT)
    assert outcome.outcome == protocol.OUTCOME_CANCELLED
    assert outcome.reason == "cancelled"
    assert not marker.exists()


async def test_executor_missing_workdir_fails_to_start(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = await run("echo never", workdir=str(missing))
    assert result.outcome.outcome == protocol.OUTCOME_START_FAILED
    assert result.outcome.reason == (
        f"could not start: working directory {str(missing)!r} does not exist"
    )
    assert result.lines == []


async def test_executor_runs_in_the_workdir(tmp_path: Path) -> None:
    result = await run("pwd", workdir=str(tmp_path))
    assert result.texts(protocol.STDOUT) == [str(tmp_path)]


async def test_executor_unknown_account_fails_to_start() -> None:
    result = await run("echo never", run_as="no-such-octopus-user")
    assert result.outcome.outcome == protocol.OUTCOME_START_FAILED
    assert result.outcome.reason == (
        "could not start: no such account 'no-such-octopus-user' on this worker"
    )
    assert result.lines == []


async def test_executor_runs_as_its_own_account() -> None:
    me = pwd.getpwuid(os.geteuid()).pw_name
    result = await run("id -u", run_as=me)
    assert result.outcome.exit_code == 0
    assert result.texts(protocol.STDOUT) == [str(os.geteuid())]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run as another account")
async def test_executor_runs_as_another_account(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    result = await run('id -u; echo "$USER"', run_as="nobody", workdir="/")
    assert result.outcome.exit_code == 0
    assert result.texts(protocol.STDOUT) == [str(nobody.pw_uid), "nobody"]


async def test_executor_passes_the_spec_env() -> None:
    result = await run(
        'printf "%s|%s\\n" "$OCTOPUS_TEST_GREETING" "$OCTOPUS_TEST_EMPTY"',
        env={"OCTOPUS_TEST_GREETING": "hello world; $(not run)", "OCTOPUS_TEST_EMPTY": ""},
    )
    assert result.texts(protocol.STDOUT) == ["hello world; $(not run)|"]


async def test_executor_returns_when_a_leftover_child_holds_stdout(
    process_groups: ProcessGroups, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executor, "PIPE_DRAIN", 0.3)
    result = await run("sleep 30 & echo started; exit 0")
    process_groups.track(result.outcome.pid or 0)
    assert (result.outcome.outcome, result.outcome.exit_code) == (protocol.OUTCOME_EXITED, 0)
    assert result.texts(protocol.STDOUT) == ["started"]
    assert result.texts(protocol.SYSTEM) == [
        "octopus: stopped reading output held open by leftover processes"
    ]


async def test_executor_survives_binary_output() -> None:
    result = await run("head -c 100000 /dev/urandom; echo; echo done", max_line_bytes=1000)
    assert (result.outcome.outcome, result.outcome.exit_code) == (protocol.OUTCOME_EXITED, 0)
    texts = result.texts(protocol.STDOUT)
    assert texts[-1] == "done"
    assert all(isinstance(t, str) and "\x00" not in t and "\n" not in t for t in texts)
    assert [seq for seq, _, _ in result.lines] == list(range(1, len(result.lines) + 1))
