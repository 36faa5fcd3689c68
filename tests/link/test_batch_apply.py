"""Applying a worker's batch set-based: many runs' starts, lines and ends in one go."""

from __future__ import annotations

import time

import pytest

from octopus.alerts.models import Alert
from octopus.link import reports
from octopus.logs.reading import lines_after
from octopus.runs.models import Run
from octopus_agent import protocol

pytestmark = pytest.mark.django_db


def apply_batch(worker, messages: list[dict]) -> list[int]:
    """One worker's messages applied in one transaction, as its connection's inbox does."""
    return reports.apply_spooled_batches([(worker, messages)])[0]


def dispatch(job, worker, n: int) -> list[Run]:
    return [
        Run.objects.create(job=job, trigger="manual", worker=worker, state="dispatched")
        for _ in range(n)
    ]


def started(run: Run, pid: int, at: float) -> dict:
    return {"type": protocol.RUN_STARTED, "id": 0, "run_id": run.id, "pid": pid, "started_at": at}


def finished(run: Run, exit_code: int, at: float) -> dict:
    return {
        "type": protocol.RUN_FINISHED,
        "id": 0,
        "run_id": run.id,
        "outcome": "exited",
        "exit_code": exit_code,
        "signal": None,
        "reason": "",
        "finished_at": at,
    }


def line(run: Run, seq: int, text: str) -> dict:
    return {
        "type": protocol.LOG,
        "id": 0,
        "run_id": run.id,
        "lines": [[seq, time.time(), "stdout", text]],
    }


def numbered(messages: list[dict]) -> list[dict]:
    return [{**message, "id": i} for i, message in enumerate(messages, 1)]


def test_interleaved_runs_each_get_their_own_start_lines_and_end(make_job, make_worker) -> None:
    worker = make_worker()
    job = make_job(concurrency="allow", max_parallel=10)
    a, b, c = dispatch(job, worker, 3)
    t0 = int(time.time()) + 0.25  # exact in microseconds, as stored
    batch = numbered(
        [
            started(a, 101, t0),
            started(b, 102, t0 + 1),
            line(a, 1, "a1"),
            line(b, 1, "b1"),
            line(a, 2, "a2"),
            finished(a, 0, t0 + 2),
            started(c, 103, t0 + 3),
            line(b, 2, "b2"),
            finished(b, 7, t0 + 4),
        ]
    )
    assert apply_batch(worker, batch) == []
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert (a.state, a.pid, a.exit_code, a.started_at.timestamp()) == ("succeeded", 101, 0, t0)
    assert (b.state, b.pid, b.reason, b.finished_at.timestamp()) == (
        "failed",
        102,
        "exit code 7",
        t0 + 4,
    )
    assert (c.state, c.pid, c.finished_at) == ("running", 103, None)
    assert [x.text for x in lines_after(a)] == ["a1", "a2"]
    assert [x.text for x in lines_after(b)] == ["b1", "b2"]
    # Sent again (the ack was lost): nothing changes, nothing is stored twice.
    assert apply_batch(worker, batch) == []
    assert [x.text for x in lines_after(a)] == ["a1", "a2"]
    b.refresh_from_db()
    assert (b.state, b.reason) == ("failed", "exit code 7")


def test_only_the_runs_given_away_are_abandoned(make_job, make_worker) -> None:
    worker = make_worker()
    job = make_job(concurrency="allow", max_parallel=10)
    kept, lost, ended = dispatch(job, worker, 3)
    Run.objects.filter(pk=lost.pk).update(state="lost")
    Run.objects.filter(pk=ended.pk).update(state="cancelled")
    now = time.time()
    batch = numbered([started(kept, 1, now), started(lost, 2, now), finished(ended, 0, now)])
    assert apply_batch(worker, batch) == [lost.id]
    kept.refresh_from_db(), lost.refresh_from_db(), ended.refresh_from_db()
    assert (kept.state, lost.state, ended.state) == ("running", "lost", "cancelled")


def test_a_success_resolves_only_the_failures_before_it(make_job, make_worker) -> None:
    worker = make_worker()
    job = make_job(concurrency="allow", max_parallel=10)
    first, second, third = dispatch(job, worker, 3)
    now = time.time()
    # failed, succeeded, failed in one batch: the alert the first raised is resolved by the
    # second, and the third raises a new one that stays open.
    apply_batch(
        worker,
        numbered([finished(first, 1, now), finished(second, 0, now), finished(third, 2, now)]),
    )
    alerts = list(Alert.objects.filter(job=job).order_by("id"))
    assert [(a.state, a.count) for a in alerts] == [("resolved", 1), ("open", 1)]
    assert "exit code 2" in alerts[1].title


def test_successes_of_several_jobs_resolve_each_jobs_alert(make_job, make_worker) -> None:
    worker = make_worker()
    jobs = [make_job(f"j{i}") for i in range(3)]
    failing = [dispatch(job, worker, 1)[0] for job in jobs]
    now = time.time()
    apply_batch(worker, numbered([finished(run, 1, now) for run in failing]))
    assert Alert.objects.filter(state="open").count() == 3
    passing = [dispatch(job, worker, 1)[0] for job in jobs[:2]]
    apply_batch(worker, numbered([finished(run, 0, now) for run in passing]))
    still_open = list(Alert.objects.filter(state="open").values_list("job__name", flat=True))
    assert still_open == ["j2"]


def test_several_workers_batches_apply_together(make_job, make_worker) -> None:
    # The process-wide applier hands every connected worker's messages over in one go: a
    # report from a worker that no longer holds the run changes nothing.
    w1, w2 = make_worker("w1"), make_worker("w2")
    job = make_job(concurrency="allow", max_parallel=10)
    (r1,), (r2,) = dispatch(job, w1, 1), dispatch(job, w2, 1)
    now = time.time()
    abandon = reports.apply_spooled_batches(
        [
            (w1, numbered([started(r1, 11, now), finished(r1, 0, now)])),
            (w2, numbered([started(r2, 22, now)])),
            (w1, numbered([started(r2, 99, now), finished(r2, 0, now)])),  # not w1's run
        ]
    )
    assert abandon == [[], [], []]
    r1.refresh_from_db(), r2.refresh_from_db()
    assert (r1.state, r1.pid, r1.worker_id) == ("succeeded", 11, w1.id)
    assert (r2.state, r2.pid, r2.worker_id) == ("running", 22, w2.id)
