"""A run someone waits for (run now, the API) is handed out by the request that queued it
when this process is the dispatcher; otherwise the dispatcher is woken, as before."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from octopus import loops
from octopus.cluster import wakeups
from octopus.runs.lifecycle import queue_manual_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher_here(monkeypatch):
    """This process leads and its dispatcher unit is registered, as Loops.start does."""
    leadership = SimpleNamespace(is_leader=True, leader_since=None)
    unit = loops._Dispatch(leadership)
    monkeypatch.setattr(wakeups, "inline_dispatch", unit.try_now)
    wakeups.dispatcher.clear()
    yield unit, leadership
    wakeups.dispatcher.clear()


def test_the_request_hands_its_run_out_itself(
    dispatcher_here, make_job, make_worker, django_capture_on_commit_callbacks
) -> None:
    worker = make_worker("w1")
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_manual_run(make_job(), None)
    run.refresh_from_db()
    assert (run.state, run.worker_id) == ("dispatched", worker.id)
    assert not wakeups.dispatcher.is_set()  # the dispatcher thread was not needed


def test_while_a_pass_runs_the_dispatcher_is_woken_instead(
    dispatcher_here, make_job, make_worker, django_capture_on_commit_callbacks
) -> None:
    unit, _ = dispatcher_here
    make_worker("w1")
    # The loop's own pass is under way (it holds one_pass): never two passes at once.
    with unit.one_pass, django_capture_on_commit_callbacks(execute=True):
        run = queue_manual_run(make_job(), None)
    run.refresh_from_db()
    assert run.state == "queued"
    assert wakeups.dispatcher.is_set()  # that pass, or the next, takes it


def test_a_replica_that_does_not_lead_wakes_the_dispatcher(
    dispatcher_here, make_job, make_worker, django_capture_on_commit_callbacks
) -> None:
    _, leadership = dispatcher_here
    leadership.is_leader = False
    make_worker("w1")
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_manual_run(make_job(), None)
    run.refresh_from_db()
    assert run.state == "queued"
    assert wakeups.dispatcher.is_set()


def test_a_job_already_running_under_skip_records_a_skip_without_dispatching(
    dispatcher_here, make_job, make_worker, django_capture_on_commit_callbacks
) -> None:
    make_worker("w1")
    job = make_job(concurrency="skip")
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_manual_run(job, None)
        second = queue_manual_run(job, None)
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, second.state) == ("dispatched", "skipped")
