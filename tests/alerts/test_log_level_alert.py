"""Output lines at or above the job's alert level raise an alert per batch, merged."""

from __future__ import annotations

import time

import pytest

from octopus.alerts.models import Alert
from octopus.link import reports
from octopus.runs.models import Run
from octopus_agent import protocol

pytestmark = pytest.mark.django_db

ERROR = "2026/11/25:10:00:00 etl error disk full"
FATAL = "2026/11/25:10:00:01 etl fatal giving up"
WARN = "2026/11/25:10:00:02 etl warn slow disk"


def send(run: Run, texts: list[str], first_seq: int = 1) -> None:
    now = time.time()
    lines = [[first_seq + i, now, "stdout", text] for i, text in enumerate(texts)]
    message = {"type": protocol.LOG, "id": first_seq, "run_id": run.id, "lines": lines}
    reports.apply_spooled(run.worker, message)


@pytest.fixture
def run(make_job, make_worker):
    def make(alert_level: str = "error") -> Run:
        job = make_job("etl", alert_level=alert_level)
        return Run.objects.create(job=job, trigger="manual", worker=make_worker(), state="running")

    return make


def test_error_lines_raise_one_alert_counting_them(run) -> None:
    r = run("error")
    send(r, ["plain", ERROR, WARN, FATAL])
    send(r, [ERROR], first_seq=5)
    alert = Alert.objects.get()
    assert (alert.kind, alert.job, alert.last_run, alert.count) == ("log_level", r.job, r, 3)
    assert alert.title == "etl logged error lines"  # the worst level of the latest batch
    assert alert.detail == f"Run #{r.pk}: {ERROR}"


def test_the_worst_level_and_the_first_line_describe_a_batch(run) -> None:
    r = run("warn")
    send(r, [WARN, FATAL])
    alert = Alert.objects.get()
    assert (alert.count, alert.title) == (2, "etl logged fatal lines")
    assert alert.detail == f"Run #{r.pk}: {WARN} (and 1 more)"


def test_lines_below_the_level_raise_nothing(run) -> None:
    send(run("fatal"), [ERROR, WARN, "plain"])
    assert not Alert.objects.exists()


def test_level_none_turns_log_alerts_off(run) -> None:
    send(run("none"), [FATAL])
    assert not Alert.objects.exists()


def test_a_batch_sent_again_after_a_reconnect_counts_once(run) -> None:
    r = run("error")
    send(r, [ERROR, ERROR])
    send(r, [ERROR, ERROR])  # the same seqs again: the worker resent its spool
    send(r, [ERROR, FATAL], first_seq=2)  # overlapping: only seq 3 is new
    assert Alert.objects.get().count == 3
