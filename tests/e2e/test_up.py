"""The walking skeleton end to end: `octopus up` in a subprocess, used through the web UI."""

from __future__ import annotations

import re

import pytest

from tests.e2e.octopus_process import OctopusUp, wait_until

pytestmark = pytest.mark.e2e


def _job_id(response) -> int:
    match = re.search(r"/jobs/(\d+)/$", str(response.url))
    assert match, f"job not created, page says:\n{response.text[:2000]}"
    return int(match.group(1))


def test_job_every_second_runs_and_stores_output(octopus_up: OctopusUp, ui) -> None:
    job_id = _job_id(
        ui.create_job(name="tick", command='echo "tick $OCTOPUS_RUN_ID"', schedule="* * * * * *")
    )

    def succeeded():
        rows = octopus_up.query(
            "SELECT id, scheduled_for, started_at FROM runs_run "
            "WHERE job_id = ? AND state = 'succeeded' ORDER BY id",
            job_id,
        )
        return rows if len(rows) >= 2 else None

    runs = wait_until(succeeded, 20, what="two succeeded runs")
    for run in runs[:2]:
        lines = octopus_up.log_lines(run["id"])
        assert [(r["text"], r["stream"]) for r in lines] == [(f"tick {run['id']}", "stdout")]
        assert run["scheduled_for"] is not None
    # Each firing is queued once: scheduled times are distinct whole seconds.
    times = [r["scheduled_for"] for r in runs]
    assert len(set(times)) == len(times)

    page = ui.client.get(f"/runs/{runs[0]['id']}/")
    assert "Succeeded" in page.text
    # The page's log comes over its WebSocket; without a browser, the text download.
    log = ui.client.get(f"/runs/{runs[0]['id']}/log.txt")
    assert log.text == f"tick {runs[0]['id']}\n"


def test_exit_3_fails_with_exit_code_and_stderr(octopus_up: OctopusUp, ui) -> None:
    job_id = _job_id(ui.create_job(name="broken", command="echo oops >&2; exit 3"))
    ui.run_now(job_id)

    def finished():
        rows = octopus_up.query(
            "SELECT id, state, exit_code, reason FROM runs_run WHERE job_id = ? "
            "AND state NOT IN ('queued', 'dispatched', 'running')",
            job_id,
        )
        return rows[0] if rows else None

    run = wait_until(finished, 15, what="the run to end")
    assert (run["state"], run["exit_code"], run["reason"]) == ("failed", 3, "exit code 3")
    lines = octopus_up.log_lines(run["id"])
    assert [(r["text"], r["stream"], r["level"]) for r in lines] == [("oops", "stderr", "warn")]


def test_bad_cron_gets_a_clear_message_and_no_job(octopus_up: OctopusUp, ui) -> None:
    response = ui.create_job(name="bad", schedule="61 * * * *")
    assert response.url.path == "/jobs/new/"
    assert "Invalid schedule: bad minute field &#x27;61&#x27;" in response.text
    assert octopus_up.query("SELECT COUNT(*) AS n FROM jobs_job")[0]["n"] == 0
