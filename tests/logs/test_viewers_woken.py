"""Every change of a run wakes its live viewers, whoever makes it: the dispatcher, the
monitor, a cancel, a retry, the worker's reports (each through the one receiver in
octopus/logs/live.py, after commit)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.logs import live
from octopus.runs import lifecycle
from octopus.runs.dispatch import assign_queued_runs
from octopus.runs.models import Run
from octopus.runs.monitor import mark_silent_workers_offline

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit callbacks really run


@pytest.fixture
def woken(monkeypatch) -> list[tuple[int, int | None]]:
    """The (run id, job id) of every nudge of this process's viewers."""
    calls: list[tuple[int, int | None]] = []
    monkeypatch.setattr(live, "nudge", lambda run_id, job_id=None: calls.append((run_id, job_id)))
    return calls


def test_a_run_handed_to_a_worker_wakes_its_viewers(make_job, make_worker, woken) -> None:
    make_worker("w1")
    run = Run.objects.create(job=make_job(), trigger="manual")
    assert assign_queued_runs() == 1
    assert (run.id, run.job_id) in woken


def test_a_run_cancelled_before_it_started_wakes_its_viewers(make_job, woken) -> None:
    run = Run.objects.create(job=make_job(), trigger="manual")
    assert lifecycle.request_cancel(run, None) == "cancelled"
    assert (run.id, run.job_id) in woken


def test_a_lost_run_and_its_retry_wake_their_viewers(make_job, make_worker, woken) -> None:
    now = timezone.now()
    worker = make_worker("quiet", last_seen=now - timedelta(seconds=3600))
    job = make_job(retries=1, retry_backoff=0)
    run = Run.objects.create(job=job, trigger="manual", worker=worker, state="running")
    assert mark_silent_workers_offline(now) == 1
    retry = Run.objects.get(retry_of=run)
    assert {(run.id, job.id), (retry.id, job.id)} <= set(woken)


def test_a_finished_run_wakes_its_viewers(make_job, make_worker, woken) -> None:
    worker = make_worker()
    run = Run.objects.create(job=make_job(), trigger="manual", worker=worker, state="running")
    report = {"outcome": "exited", "exit_code": 0, "finished_at": time.time()}
    assert [r.id for r in lifecycle.finish_runs([(run.id, worker.id, report)])] == [run.id]
    assert (run.id, run.job_id) in woken
