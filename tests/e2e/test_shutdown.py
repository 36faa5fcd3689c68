"""Ctrl-C on `octopus up` stops everything cleanly and loses nothing."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import psutil
import pytest

from tests.e2e.octopus_process import Browserless, OctopusUp, wait_until

pytestmark = pytest.mark.e2e


def test_ctrl_c_lets_the_running_job_finish_and_stores_its_result(tmp_path: Path) -> None:
    up = OctopusUp(tmp_path / "data").start()
    try:
        ui = Browserless(up.url)
        ui.login()
        page = ui.create_job(name="slow", command="echo begin; sleep 2; echo end")
        job_id = int(re.search(r"/jobs/(\d+)/", str(page.url)).group(1))
        ui.run_now(job_id)
        wait_until(
            lambda: up.query("SELECT 1 FROM runs_run WHERE state = 'running'"),
            10,
            what="the run to start",
        )
        children = psutil.Process(up.proc.pid).children(recursive=True)
        assert children, "the local worker should be a child process"
        up.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert up.proc.wait(30) == 0
    finally:
        up.stop()
    # Every process it started is gone: server, worker agent and the job's shell.
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    run = up.query("SELECT id, state, exit_code FROM runs_run")[0]
    assert (run["state"], run["exit_code"]) == ("succeeded", 0)
    lines = up.log_lines(run["id"])
    assert [r["text"] for r in lines] == ["begin", "end"]
    assert "Octopus stopped." in up.log()


def test_a_restart_keeps_jobs_and_does_not_print_the_password_again(tmp_path: Path) -> None:
    env = {"OCTOPUS_ADMIN_PASSWORD": ""}
    first = OctopusUp(tmp_path / "data", env=env).start()
    match = re.search(r"Log in as admin with password: (\S+)", first.log())
    assert match, first.log()
    password = match.group(1)
    ui = Browserless(first.url)
    ui.login(password=password)
    job_id = ui.create_job_id(name="kept", command="echo kept")
    assert first.stop() == 0

    second = OctopusUp(first.data_dir, port=first.port, env=env, database=first.database)
    second.log_path = first.data_dir / "second.log"
    second.start()
    try:
        assert "with password" not in second.log()
        ui = Browserless(second.url)
        assert ui.login(password=password).url.path != "/login/"
        assert "kept" in ui.client.get(f"/jobs/{job_id}/").text
    finally:
        assert second.stop() == 0
