"""A run that no online worker may take raises an alert once it waited past the grace
period; a worker taking it resolves the alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts.models import Alert, Delivery
from octopus.runs.dispatch import assign_queued_runs
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def test_it_records_when_the_wait_began_and_alerts_after_the_grace_period(
    make_job, make_worker, make_channel, settings
) -> None:
    settings.ALERT_NO_WORKER_GRACE = 60
    make_channel()
    job = make_job("gpu-job", target_labels=["gpu"])
    run = Run.objects.create(job=job, trigger="manual")
    before = timezone.now()
    assert assign_queued_runs() == 0
    run.refresh_from_db()
    assert run.reason == "waiting: no online worker matches labels gpu"
    assert before <= run.no_worker_since <= timezone.now()
    assign_queued_runs()
    assert not Alert.objects.exists()  # still within the grace period

    # The wait began 61 s ago.
    Run.objects.filter(pk=run.pk).update(no_worker_since=timezone.now() - timedelta(seconds=61))
    assign_queued_runs()
    assign_queued_runs()  # once per run, not once per dispatcher tick
    alert = Alert.objects.get()
    assert (alert.kind, alert.count, alert.last_run_id) == ("no_worker", 1, run.pk)
    assert alert.title == "gpu-job: no eligible worker for 61 s"
    assert "labels gpu" in alert.detail

    # A worker with the label shows up and takes the run: resolved, with a recovery notice.
    make_worker("gpu1", labels=["gpu"])
    assert assign_queued_runs() == 1
    run.refresh_from_db()
    alert.refresh_from_db()
    assert (run.state, run.no_worker_since) == ("dispatched", None)
    assert alert.state == "resolved"
    assert list(Delivery.objects.order_by("id").values_list("event", flat=True)) == [
        "opened",
        "recovery",
    ]


def test_waiting_behind_another_run_is_not_waiting_for_a_worker(make_job, make_worker) -> None:
    worker = make_worker()
    job = make_job("single", concurrency="queue")
    Run.objects.create(job=job, trigger="manual", worker=worker, state="running")
    queued = Run.objects.create(job=job, trigger="manual")
    assign_queued_runs()
    queued.refresh_from_db()
    assert queued.reason == "waiting: another run of this job is in progress"
    assert queued.no_worker_since is None
