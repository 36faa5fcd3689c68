"""Every kind of run failure raises an alert; a later success resolves it and tells once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts.models import Alert, Delivery
from octopus.runs import lifecycle
from octopus.runs.models import Run
from octopus.runs.monitor import mark_silent_workers_offline
from octopus.workers.models import Worker
from octopus_agent import protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(make_job, make_worker):
    def make(job=None) -> Run:
        return Run.objects.create(
            job=job or make_job("etl"),
            trigger="manual",
            worker=make_worker(f"w{Run.objects.count()}"),
            state="running",
            started_at=timezone.now(),
        )

    return make


def finish(run: Run, outcome: str = protocol.OUTCOME_EXITED, **fields) -> None:
    report = {"outcome": outcome, "finished_at": time.time(), **fields}
    lifecycle.finish_runs([(run.id, run.worker_id, report)])


@pytest.mark.parametrize(
    ("report", "title"),
    [
        ({"exit_code": 2}, "etl failed: exit code 2"),
        (
            {"outcome": protocol.OUTCOME_TIMED_OUT, "reason": "timed out after 5 s"},
            "etl timed out: timed out after 5 s",
        ),
        (
            {"outcome": protocol.OUTCOME_HUNG, "reason": "hung: silent 30 s"},
            "etl hung: hung: silent 30 s",
        ),
        (
            {"outcome": protocol.OUTCOME_START_FAILED, "reason": "could not start: no such file"},
            "etl failed: could not start: no such file",
        ),
    ],
)
def test_each_failure_raises_a_run_failed_alert(running, make_channel, report, title) -> None:
    make_channel()
    run = running()
    finish(run, **report)
    alert = Alert.objects.get()
    assert (alert.kind, alert.title, alert.job, alert.last_run) == (
        "run_failed",
        title,
        run.job,
        run,
    )
    assert f"Run #{run.pk} on {run.worker.name}, attempt 1" in alert.detail
    assert Delivery.objects.get().event == "opened"


def test_a_lost_run_raises_an_alert_and_so_does_its_worker(running, settings) -> None:
    settings.WORKER_TIMEOUT = 30
    run = running()
    Worker.objects.filter(pk=run.worker_id).update(  # its worker went silent
        last_seen=timezone.now() - timedelta(seconds=40)
    )
    assert mark_silent_workers_offline(timezone.now()) == 1
    kinds = dict(Alert.objects.values_list("kind", "title"))
    assert kinds["run_failed"].startswith("etl lost: lost: worker w0 silent for")
    assert kinds["worker_offline"] == "worker w0 is offline"
    offline = Alert.objects.get(kind="worker_offline")
    assert offline.detail.endswith("1 run(s) in flight were lost.")


def test_a_cancelled_run_raises_nothing(running) -> None:
    finish(running(), protocol.OUTCOME_CANCELLED, reason="cancelled")
    assert not Alert.objects.exists()


def test_a_success_resolves_the_failure_alerts_and_sends_one_recovery(
    running, make_channel, make_job
) -> None:
    make_channel()
    job = make_job("etl")
    for _ in range(3):
        finish(running(job), exit_code=1)
    alert = Alert.objects.get()
    assert alert.count == 3
    finish(running(job), exit_code=0)
    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert alert.resolution.startswith("etl succeeded in run #")
    assert alert.merge_key is None
    recovery = Delivery.objects.get(event="recovery")
    assert recovery.payload["title"] == "[Octopus] Recovered: etl"
    assert "Resolved: Run failed x3" in "\n".join(recovery.payload["lines"])
    # Another success finds nothing to resolve: no second notice.
    finish(running(job), exit_code=0)
    assert Delivery.objects.filter(event="recovery").count() == 1


def test_a_success_leaves_log_level_alerts_and_other_jobs_alone(running, make_job) -> None:
    from octopus.alerts import rules

    job, other = make_job("etl"), make_job("other")
    rules.raise_alert("log_level", job=job, title="etl logged error lines")
    finish(running(other), exit_code=1)
    finish(running(job), exit_code=0)
    assert set(Alert.objects.values_list("kind", "state")) == {
        ("log_level", "open"),
        ("run_failed", "open"),
    }
