"""Handing queued runs to workers: targets, routing, concurrency."""

from __future__ import annotations

import pytest

from octopus.runs.dispatch import assign_queued_runs
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def queue(job, n: int = 1) -> list[Run]:
    return [Run.objects.create(job=job, trigger="manual") for _ in range(n)]


def test_a_queued_run_goes_to_an_online_worker(make_job, make_worker) -> None:
    worker = make_worker("w1")
    (run,) = queue(make_job(command="echo {args} {cursor}", cursor="c1"))
    Run.objects.filter(pk=run.pk).update(args=["a b"])
    assert assign_queued_runs() == 1
    run.refresh_from_db()
    assert (run.state, run.worker_id) == ("dispatched", worker.id)
    assert run.command == "echo 'a b' c1"
    assert run.cursor_start == "c1"


def test_no_eligible_worker_leaves_the_run_queued_with_the_reason(make_job, make_worker) -> None:
    make_worker("w1", labels=["python3.11"])
    make_worker("w2", labels=["php8.2"], online=False)
    (run,) = queue(make_job(target_labels=["php8.2"]))
    assert assign_queued_runs() == 0
    run.refresh_from_db()
    assert run.state == "queued"
    assert run.reason == "waiting: no online worker matches labels php8.2"


def test_labels_must_all_match(make_job, make_worker) -> None:
    make_worker("a", labels=["linux"])
    b = make_worker("b", labels=["linux", "gpu"])
    (run,) = queue(make_job(target_labels=["linux", "gpu"]))
    assign_queued_runs()
    run.refresh_from_db()
    assert run.worker_id == b.id


def test_a_named_target_worker_is_used(make_job, make_worker) -> None:
    make_worker("a")
    b = make_worker("b")
    (run,) = queue(make_job(target_worker=b))
    assign_queued_runs()
    run.refresh_from_db()
    assert run.worker_id == b.id


def test_a_revoked_worker_gets_nothing(make_job, make_worker) -> None:
    make_worker("a", token_hash="")
    queue(make_job())
    assert assign_queued_runs() == 0


def test_skip_and_queue_jobs_have_one_run_in_flight(make_job, make_worker) -> None:
    make_worker("a")
    runs = queue(make_job(concurrency="queue"), 3)
    assert assign_queued_runs() == 1
    states = [r.state for r in Run.objects.filter(id__in=[r.id for r in runs]).order_by("id")]
    assert states == ["dispatched", "queued", "queued"]
    Run.objects.filter(id=runs[0].id).update(state="succeeded")
    assert assign_queued_runs() == 1
    assert Run.objects.get(id=runs[1].id).state == "dispatched"


def test_allow_runs_up_to_max_parallel(make_job, make_worker) -> None:
    make_worker("a")
    queue(make_job(concurrency="allow", max_parallel=2), 3)
    assert assign_queued_runs() == 2


def test_round_robin_cycles_through_workers(make_job, make_worker) -> None:
    workers = [make_worker(name) for name in ("a", "b", "c")]
    job = make_job(concurrency="allow", max_parallel=10, routing="round_robin")
    queue(job, 6)
    assign_queued_runs()
    used = list(Run.objects.filter(job=job).order_by("id").values_list("worker_id", flat=True))
    assert used == [w.id for w in workers] * 2


def test_least_loaded_prefers_the_idle_worker(make_job, make_worker) -> None:
    make_worker("busy", running_count=5)
    idle = make_worker("idle", running_count=0)
    (run,) = queue(make_job(routing="least_loaded"))
    assign_queued_runs()
    run.refresh_from_db()
    assert run.worker_id == idle.id


def test_a_retry_waits_for_its_backoff(make_job, make_worker) -> None:
    from datetime import timedelta

    from django.utils import timezone

    make_worker("a")
    job = make_job()
    Run.objects.create(job=job, trigger="retry", not_before=timezone.now() + timedelta(hours=1))
    assert assign_queued_runs() == 0


def test_a_broadcast_job_runs_on_every_worker_at_once(make_job, make_worker) -> None:
    workers = [make_worker(name) for name in ("a", "b", "c")]
    job = make_job(routing="broadcast", concurrency="skip")
    for w in workers:
        Run.objects.create(job=job, trigger="schedule", fanout_key=w.name)
    Run.objects.create(job=job, trigger="schedule", fanout_key="a")  # a's next firing waits
    assert assign_queued_runs() == 3
    assert sorted(
        Run.objects.filter(state="dispatched").values_list("worker__name", flat=True)
    ) == ["a", "b", "c"]
    assert Run.objects.filter(state="queued", fanout_key="a").exists()


def test_a_backlog_behind_a_busy_job_is_not_loaded_on_every_pass(
    make_job, make_worker, django_assert_max_num_queries
) -> None:
    make_worker("a")
    busy = make_job("busy", concurrency="queue")
    queue(busy, 300)
    assert assign_queued_runs() == 1
    with django_assert_max_num_queries(6):
        assert assign_queued_runs() == 0


def test_a_burst_with_different_arguments_gets_each_its_own_command(make_job, make_worker) -> None:
    # Runs are handed over in groups (one UPDATE per worker and command): each run must
    # still get its own arguments and cursor, and every worker its share.
    workers = [make_worker(name) for name in ("a", "b")]
    job = make_job(
        command="echo {args} {cursor}",
        cursor="c0",
        concurrency="allow",
        max_parallel=10,
        routing="round_robin",
    )
    runs = queue(job, 6)
    for i, run in enumerate(runs):
        Run.objects.filter(pk=run.pk).update(
            args=[f"n{i % 3}"], cursor_start=f"k{i}" if i == 5 else None
        )
    assert assign_queued_runs() == 6
    handed = list(Run.objects.filter(job=job).order_by("id"))
    assert [run.command for run in handed] == [
        "echo n0 c0",
        "echo n1 c0",
        "echo n2 c0",
        "echo n0 c0",
        "echo n1 c0",
        "echo n2 k5",
    ]
    assert [run.worker_id for run in handed] == [w.id for w in workers] * 3
    assert {run.state for run in handed} == {"dispatched"}
    assert len({run.dispatched_at for run in handed}) == 1
