"""A job's environment is made by the agent, not inherited from it (docs/architecture.md 2.4)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from octopus_agent import cli, protocol
from octopus_agent.config import Config
from octopus_agent.executor import Execution
from tests.agent.support import StartAgent, log_lines, run_message

# What the agent's own environment holds and no job may see. Under `octopus up` the agent
# is a child of the server and gets the server's environment too.
SECRETS = {
    "OCTOPUS_AGENT_TOKEN": "ocw_agent-token-not-for-jobs",
    "OCTOPUS_SECRET_KEY": "django-secret-key-not-for-jobs",
    "OCTOPUS_SMTP_PASSWORD": "smtp-password-not-for-jobs",
    "SOME_RANDOM_VAR": "random-value-not-for-jobs",
}
ALLOWED = {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TZ", "TMPDIR"}
SET_BY_THE_SHELL = {"PWD", "OLDPWD", "SHLVL", "_"}
# What the server puts in a run's spec (octopus/runs/command.py: run_spec): the job's env,
# then the run's own variables.
JOB_ENV = {"REPORT_DAY": "monday", "GREETING": "hello world; $(not run)"}
RUN_ENV = {
    "OCTOPUS_RUN_ID": "41",
    "OCTOPUS_JOB": "nightly-report",
    "OCTOPUS_ATTEMPT": "2",
    "OCTOPUS_CURSOR": "cursor-9",
    "OCTOPUS_SCHEDULED_FOR": "2024-05-06T07:08:09+00:00",
}
ENV_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def parse_env(lines: list[str]) -> dict[str, str]:
    """`env` output as a dict (every variable here has a one-line value)."""
    env = {}
    for line in lines:
        match = ENV_LINE.fullmatch(line)
        assert match, f"not NAME=value: {line!r}"
        env[match[1]] = match[2]
    return env


@pytest.fixture
def agent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OCTOPUS_TEST_PASSED", "passed by the operator")


async def job_env(worker: Any, run_id: int = 1, **spec: Any) -> dict[str, str]:
    """Run `env` on the agent; what it printed."""
    spec.setdefault("env", {**JOB_ENV, **RUN_ENV})
    await worker.link.push(run_message(run_id, "env", **spec))
    finished = await worker.link.wait_for(protocol.RUN_FINISHED, run_id=run_id)
    assert (finished["outcome"], finished["exit_code"]) == (protocol.OUTCOME_EXITED, 0)
    lines = log_lines(worker.link.messages(protocol.LOG, run_id=run_id))
    assert not [text for _, _, stream, text in lines if stream != protocol.STDOUT]
    return parse_env([text for _, _, stream, text in lines if stream == protocol.STDOUT])


async def test_a_job_gets_none_of_the_agents_environment_but_the_allowlist(
    start_agent: StartAgent, agent_environment: None
) -> None:
    worker = await start_agent(name="worker-7")
    env = await job_env(worker)

    for name, value in SECRETS.items():
        assert name not in env
        assert value not in env.values()
    assert "OCTOPUS_TEST_PASSED" not in env  # not named with --pass-env
    assert env["PATH"] == os.environ["PATH"]
    assert env["OCTOPUS_WORKER"] == "worker-7"
    for name, value in {**RUN_ENV, **JOB_ENV}.items():
        assert env[name] == value
    made = ALLOWED | SET_BY_THE_SHELL | {"OCTOPUS_WORKER"} | set(RUN_ENV) | set(JOB_ENV)
    assert {name for name in env if not name.startswith("LC_")} <= made


async def test_a_job_gets_the_variables_the_workers_operator_passes(
    start_agent: StartAgent, agent_environment: None
) -> None:
    worker = await start_agent(pass_env=["OCTOPUS_TEST_PASSED", "OCTOPUS_TEST_NOT_SET"])
    env = await job_env(worker)

    assert env["OCTOPUS_TEST_PASSED"] == "passed by the operator"
    assert "OCTOPUS_TEST_NOT_SET" not in env  # named, but the agent has no such variable
    for name in SECRETS:
        assert name not in env
    assert env["OCTOPUS_WORKER"] == "test-worker"
    assert env["OCTOPUS_RUN_ID"] == "41"


async def test_the_allowlist_passes_and_the_job_env_wins_over_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, agent_environment: None
) -> None:
    allowed = {
        "LANG": "C.UTF-8",
        "LC_TIME": "C",
        "LC_OCTOPUS_TEST": "any LC_ variable",
        "TZ": "Europe/Paris",
        "TMPDIR": str(tmp_path),
        "HOME": str(tmp_path / "home"),
        "USER": "someone",
        "LOGNAME": "someone",
        "SHELL": "/bin/sh",
    }
    for name, value in allowed.items():
        monkeypatch.setenv(name, value)
    lines: list[str] = []
    execution = Execution(
        protocol.RunSpec(
            run_id=1,
            job_name="job",
            command="env",
            # The job sets TZ (it wins) and tries to pass for another worker (it cannot).
            env={"TZ": "Asia/Tokyo", "OCTOPUS_WORKER": "impostor", **RUN_ENV},
        ),
        on_line=lambda seq, ts, stream, text: lines.append(text),
        worker_name="worker-3",
        pass_env=["OCTOPUS_TEST_PASSED"],
    )
    outcome = await asyncio.wait_for(execution.run(), 30)
    assert outcome.exit_code == 0
    env = parse_env(lines)

    assert env["TZ"] == "Asia/Tokyo"
    assert env["OCTOPUS_WORKER"] == "worker-3"
    assert env["OCTOPUS_TEST_PASSED"] == "passed by the operator"
    for name, value in allowed.items():
        if name != "TZ":
            assert env[name] == value
    for name in SECRETS:
        assert name not in env


def _configs(monkeypatch: pytest.MonkeyPatch, args: list[str], **env: str) -> Config:
    """The Config `octopus worker ARGS` would run with (nothing is started)."""
    configs: list[Config] = []

    async def serve(config: Config) -> None:
        configs.append(config)

    monkeypatch.setattr(cli, "_serve", serve)
    result = CliRunner().invoke(
        cli.main, ["--server", "http://octopus.test", "--token", "t", *args], env=env
    )
    assert result.exit_code == 0, result.output
    return configs[0]


def test_pass_env_is_an_option_and_a_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCTOPUS_AGENT_PASS_ENV", raising=False)
    assert _configs(monkeypatch, []).pass_env == []
    config = _configs(monkeypatch, ["--pass-env", "HTTPS_PROXY", "--pass-env", "JAVA_HOME"])
    assert config.pass_env == ["HTTPS_PROXY", "JAVA_HOME"]
    config = _configs(monkeypatch, [], OCTOPUS_AGENT_PASS_ENV="HTTPS_PROXY, JAVA_HOME")
    assert config.pass_env == ["HTTPS_PROXY", "JAVA_HOME"]
