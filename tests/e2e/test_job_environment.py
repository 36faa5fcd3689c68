"""`octopus up` with secrets in its environment: the local worker's jobs see none of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.octopus_process import Browserless, OctopusUp, wait_until

pytestmark = pytest.mark.e2e

SECRET_KEY = "e2e-secret-key-never-shown-to-jobs"
SMTP_PASSWORD = "e2e-smtp-password-never-shown-to-jobs"


@pytest.fixture
def octopus_up_with_secrets(tmp_path: Path) -> Iterator[OctopusUp]:
    instance = OctopusUp(tmp_path / "data")
    # OctopusUp drops any OCTOPUS_SECRET_KEY it was given: set the server's own here.
    instance.env.update(OCTOPUS_SECRET_KEY=SECRET_KEY, OCTOPUS_SMTP_PASSWORD=SMTP_PASSWORD)
    instance.start()
    try:
        yield instance
    finally:
        code = instance.stop()
        assert code == 0, f"octopus up exited with {code}:\n{instance.log()}"


def test_a_job_on_the_local_worker_sees_none_of_the_servers_secrets(
    octopus_up_with_secrets: OctopusUp,
) -> None:
    up = octopus_up_with_secrets
    ui = Browserless(up.url)
    assert ui.login().url.path != "/login/", "login failed"
    job_id = ui.create_job_id(name="show-env", command="env", env_text="REPORT_DAY=monday")
    ui.run_now(job_id)

    def finished():
        rows = up.query(
            "SELECT id, state FROM runs_run WHERE job_id = ? "
            "AND state NOT IN ('queued', 'dispatched', 'running')",
            job_id,
        )
        return rows[0] if rows else None

    run = wait_until(finished, 20, what="the env run to end")
    assert run["state"] == "succeeded"
    texts = [line["text"] for line in up.log_lines(run["id"])]
    env = dict(text.partition("=")[::2] for text in texts if re.match(r"\w+=", text))
    print("job environment:", " ".join(sorted(env)))

    for name in ("OCTOPUS_SECRET_KEY", "OCTOPUS_SMTP_PASSWORD", "OCTOPUS_AGENT_TOKEN"):
        assert name not in env
    output = "\n".join(texts)
    assert SECRET_KEY not in output
    assert SMTP_PASSWORD not in output
    assert "ocw_" not in output  # no worker token under any name
    assert env["OCTOPUS_RUN_ID"] == str(run["id"])
    assert env["OCTOPUS_WORKER"] == "local"
    assert env["REPORT_DAY"] == "monday"
    assert env["PATH"]
