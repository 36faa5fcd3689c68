"""Alerts end to end: `octopus up` in a subprocess, a webhook channel set up through the
UI, a job failing every second for a minute, then recovering.

To keep the test practical, the summary interval is 30 s here (OCTOPUS_ALERT_SUMMARY_INTERVAL;
the default is the 10-minute merge window). The window semantics are the same: the first
failure notifies at once, later ones go out as one summary per interval, a success resolves
the alert and sends one recovery notice.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.catcher import HttpCatcher
from tests.e2e.octopus_process import Browserless, OctopusUp, free_port, wait_until

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"
FAILING_FOR = 60  # seconds


@pytest.fixture
def catcher() -> Iterator[HttpCatcher]:
    server = HttpCatcher().start()
    yield server
    server.stop()


@pytest.fixture
def octopus(tmp_path: Path) -> Iterator[OctopusUp]:
    port = free_port()
    env = {
        "OCTOPUS_ALERT_SUMMARY_INTERVAL": "30",
        "OCTOPUS_BASE_URL": f"http://127.0.0.1:{port}",
    }
    instance = OctopusUp(tmp_path / "data", port=port, env=env).start()
    try:
        yield instance
    finally:
        code = instance.stop()
        assert code == 0, f"octopus up exited with {code}:\n{instance.log()}"


def add_webhook_channel(ui: Browserless, url: str) -> int:
    token = ui.csrf("/alerts/channels/new/webhook/")
    response = ui.client.post(
        "/alerts/channels/new/webhook/",
        data={
            "name": "catcher",
            "enabled": "on",
            "is_default": "on",
            "url": url,
            "secret": SECRET,
            "csrfmiddlewaretoken": token,
        },
    )
    match = re.search(r"/alerts/channels/(\d+)/$", str(response.url))
    assert match, f"channel not created:\n{response.text[:2000]}"
    return int(match.group(1))


def test_a_job_failing_every_second_makes_one_alert_and_a_few_messages(
    octopus: OctopusUp, catcher: HttpCatcher, tmp_path: Path
) -> None:
    ui = Browserless(octopus.url)
    assert ui.login().url.path != "/login/"
    add_webhook_channel(ui, f"{catcher.url}/hook")
    flag = tmp_path / "fixed"
    response = ui.create_job(
        name="flaky",
        command=f"if [ -e {flag} ]; then echo fine; else echo broken; exit 1; fi",
        schedule="* * * * * *",
    )
    job_id = int(re.search(r"/jobs/(\d+)/$", str(response.url)).group(1))

    def failed_runs() -> int:
        rows = octopus.query(
            "SELECT count(*) AS n FROM runs_run WHERE job_id = ? AND state = 'failed'", job_id
        )
        return rows[0]["n"]

    wait_until(lambda: catcher.requests, 20, what="the first alert message")
    first = time.monotonic()
    time.sleep(FAILING_FOR)
    flag.touch()  # the job's command now succeeds
    wait_until(
        lambda: any(r.json()["event"] == "recovery" for r in catcher.requests),
        40,
        what="the recovery notice",
    )
    time.sleep(5)  # anything still on its way would arrive now
    elapsed = time.monotonic() - first

    (alert,) = octopus.query("SELECT * FROM alerts_alert WHERE job_id = ?", job_id)
    failures = failed_runs()
    assert alert["state"] == "resolved"
    assert alert["count"] == failures  # every failure merged into this one alert
    assert failures >= FAILING_FOR * 0.75, f"only {failures} failures in {elapsed:.0f} s"

    bodies = [r.json() for r in catcher.requests]
    events = [b["event"] for b in bodies]
    print(f"\n{failures} failures in {elapsed:.0f} s; messages: {events}")
    assert events[0] == "opened"
    assert events.count("recovery") == 1 and events[-1] == "recovery"
    summaries = events.count("summary")
    assert 1 <= summaries <= 3, events  # one per 30 s while it kept failing
    assert len(events) <= 5
    for request in catcher.requests:
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-octopus-signature-256"] == f"sha256={expected}"
    assert all(b["alert"]["id"] == alert["id"] for b in bodies)
    assert bodies[0]["url"] == f"{octopus.url}/alerts/{alert['id']}/"
    covered = sum(b.get("new", 0) for b in bodies if b["event"] == "summary")
    assert 1 + covered <= failures
    recovery = bodies[-1]
    assert f"Run failed x{failures}" in recovery["text"]

    deliveries = octopus.query("SELECT status, count(*) AS n FROM alerts_delivery GROUP BY status")
    assert {r["status"]: r["n"] for r in deliveries} == {"sent": len(events)}
    page = ui.client.get(f"/alerts/{alert['id']}/").text
    assert "Resolved" in page and "flaky succeeded in run #" in page
