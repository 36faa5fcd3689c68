"""The success rule and what follows a run's end: reasons, retries, lost runs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.runs import lifecycle
from octopus.runs.models import Run
from octopus_agent import protocol

pytestmark = pytest.mark.django_db

def finish(run_id: int, worker_id: int, report: dict) -> list:
    """One worker's final report, applied as the worker link applies a batch of them."""
    return lifecycle.finish_runs([(run_id, worker_id, report)])



@pytest.fixture
def running(make_job, make_worker):
    def make(**job_fields) -> Run:
        job = make_job(**job_fields)
        worker = make_worker()
        return Run.objects.create(
            job=job, trigger="manual", worker=worker, state="running", started_at=timezone.now()
        )

    return make


def report(outcome: str = protocol.OUTCOME_EXITED, **fields) -> dict:
    return {"outcome": outcome, "finished_at": time.time(), **fields}


@pytest.mark.parametrize(
    ("report_fields", "state", "reason"),
    [
        ({"exit_code": 0}, "succeeded", ""),
        ({"exit_code": 3}, "failed", "exit code 3"),
        ({"exit_code": None, "signal": 9}, "failed", "killed by SIGKILL"),
        (
            {"outcome": protocol.OUTCOME_TIMED_OUT, "reason": "timed out after 5 s"},
            "timed_out",
            "timed out after 5 s",
        ),
        (
            {"outcome": protocol.OUTCOME_HUNG, "reason": "hung: no output"},
            "hung",
            "hung: no output",
        ),
        (
            {
                "outcome": protocol.OUTCOME_START_FAILED,
                "reason": "could not start: no such account 'nobody2'",
            },
            "failed",
            "could not start: no such account 'nobody2'",
        ),
        ({"outcome": protocol.OUTCOME_CANCELLED, "reason": "cancelled"}, "cancelled", "cancelled"),
    ],
)
def test_the_success_rule(running, report_fields, state, reason) -> None:
    run = running()
    fields = {"outcome": protocol.OUTCOME_EXITED, **report_fields}
    finish(run.id, run.worker_id, report(**fields))
    run.refresh_from_db()
    assert (run.state, run.reason) == (state, reason)
    assert run.finished_at is not None


def test_exit_0_without_the_required_end_line_fails(running) -> None:
    run = running(require_end_marker=True)
    finish(run.id, run.worker_id, report(exit_code=0))
    run.refresh_from_db()
    assert run.state == "failed"
    assert run.reason == "exit code 0 but no end line (code 120) was printed"


def test_exit_0_with_the_end_line_succeeds(running) -> None:
    run = running(require_end_marker=True)
    Run.objects.filter(pk=run.pk).update(saw_end_marker=True)
    finish(run.id, run.worker_id, report(exit_code=0))
    run.refresh_from_db()
    assert run.state == "succeeded"


def test_a_report_for_an_ended_run_changes_nothing(running) -> None:
    run = running()
    Run.objects.filter(pk=run.pk).update(state="lost", reason="lost: worker w1 silent for 31 s")
    assert finish(run.id, run.worker_id, report(exit_code=0)) == []
    run.refresh_from_db()
    assert run.state == "lost"


def test_a_report_from_another_worker_is_ignored(running, make_worker) -> None:
    run = running()
    other = make_worker("w2")
    assert finish(run.id, other.id, report(exit_code=0)) == []
    run.refresh_from_db()
    assert run.state == "running"


def test_a_failure_queues_the_next_attempt_after_the_backoff(running) -> None:
    run = running(retries=2, retry_backoff=30)
    before = timezone.now()
    finish(run.id, run.worker_id, report(exit_code=1))
    retry = Run.objects.get(retry_of=run)
    assert (retry.trigger, retry.attempt, retry.state) == ("retry", 2, "queued")
    assert retry.not_before >= before + timedelta(seconds=30)


def test_no_retry_beyond_the_configured_count(running) -> None:
    run = running(retries=1)
    Run.objects.filter(pk=run.pk).update(attempt=2)
    finish(run.id, run.worker_id, report(exit_code=1))
    assert not Run.objects.filter(retry_of=run).exists()


def test_exponential_backoff_is_capped(make_job) -> None:
    job = make_job(retry_backoff=10, retry_backoff_kind="exponential", retry_backoff_max=60)
    delays = [lifecycle.retry_delay(job, attempt).total_seconds() for attempt in (1, 2, 3, 4, 5)]
    assert delays == [10, 20, 40, 60, 60]


def test_a_rejected_run_goes_back_to_the_queue(make_job, make_worker) -> None:
    worker = make_worker()
    run = Run.objects.create(job=make_job(), trigger="manual", worker=worker, state="dispatched")
    finish(
        run.id,
        worker.id,
        report(protocol.OUTCOME_START_FAILED, rejected=True, reason="rejected: worker is draining"),
    )
    run.refresh_from_db()
    assert (run.state, run.worker_id) == ("queued", None)
