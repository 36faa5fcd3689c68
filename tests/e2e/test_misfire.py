"""Firings that fall while Octopus is stopped: `run once` catches up once, `skip` runs none."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.octopus_process import Browserless, OctopusUp, wait_until

pytestmark = pytest.mark.e2e


def five_firings_soon() -> tuple[str, list[datetime]]:
    """A schedule firing at five consecutive seconds starting at least 6 s from now, within
    one minute (a seconds range cannot wrap into the next minute)."""
    base = (datetime.now(UTC) + timedelta(seconds=7)).replace(microsecond=0)
    if base.second > 55:
        base = base.replace(second=0) + timedelta(minutes=1)
    expr = f"{base.second}-{base.second + 4} {base.minute} {base.hour} * * *"
    return expr, [base + timedelta(seconds=i) for i in range(5)]


def test_missed_firings_follow_the_misfire_policy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    up = OctopusUp(data).start()
    ui = Browserless(up.url)
    ui.login()
    schedule, firings = five_firings_soon()
    run_once = ui.create_job_id(
        name="catch-up",
        command="echo caught up",
        schedule=schedule,
        misfire_policy="run_once",
        concurrency="queue",
    )
    skip = ui.create_job_id(
        name="no-catch-up",
        command="echo never",
        schedule=schedule,
        misfire_policy="skip",
        concurrency="queue",
    )
    assert up.stop() == 0
    assert datetime.now(UTC) < firings[0], "stopped too late: the premise of the test is gone"
    # Stay down until even the last firing is past the 5 s grace.
    time.sleep(max(0.0, (firings[-1] - datetime.now(UTC)).total_seconds() + 6))

    again = OctopusUp(data, port=up.port, database=up.database)
    again.log_path = data / "restart.log"
    again.start()
    try:

        def settled(job_id: int):
            rows = again.query(
                "SELECT scheduled_for, state, reason, note FROM runs_run WHERE job_id = ? "
                "ORDER BY scheduled_for",
                job_id,
            )
            active = [r for r in rows if r["state"] in ("queued", "dispatched", "running")]
            return rows if len(rows) == 5 and not active else None

        caught = wait_until(lambda: settled(run_once), 20, what="the catch-up job")
        skipped = wait_until(lambda: settled(skip), 20, what="the skip job")
    finally:
        assert again.stop() == 0

    as_utc = [datetime.fromisoformat(r["scheduled_for"]).replace(tzinfo=UTC) for r in caught]
    assert as_utc == firings
    assert [r["state"] for r in caught] == ["skipped"] * 4 + ["succeeded"]
    assert caught[-1]["note"] == "catch-up run for a missed firing"
    assert all(r["reason"].startswith("missed: the scheduler was down at") for r in caught[:4])
    assert [r["state"] for r in skipped] == ["skipped"] * 5
    assert all(r["reason"].startswith("missed:") for r in skipped)
