"""Firings queued ahead: the scheduler writes a firing's runs a few seconds before its
second, as queued runs not handed out before it; what only the second can tell (the `skip`
rule) is settled by the dispatcher then, and an edit in between replaces them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.runs import scheduler
from octopus.runs.dispatch import assign_queued_runs
from octopus.runs.lifecycle import queue_manual_run
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
BEFORE = T0 - timedelta(milliseconds=800)
EVERY_MINUTE = "0 * * * * *"


def job_due_at_t0(make_job, name: str = "job", **fields) -> Job:
    fields.setdefault("schedule", EVERY_MINUTE)
    job = make_job(name, **fields)
    scheduler.reschedule(job, T0 - timedelta(seconds=1))
    job.refresh_from_db()
    assert job.next_fire_at == T0
    return job


def queue_all_ahead(now: datetime) -> list[tuple[datetime, int]]:
    """What the scheduler loop does: go again while it finds firings to queue."""
    queued: list[tuple[datetime, int]] = []
    while batch := scheduler.queue_ahead(now):
        queued += batch
    return queued


def test_firings_due_soon_are_queued_ahead_once_as_runs_not_handed_out_before_their_second(
    make_job,
) -> None:
    jobs = [job_due_at_t0(make_job, f"job-{n}", default_args=[str(n)]) for n in range(3)]
    assert queue_all_ahead(BEFORE) == [(T0, 3)]  # one statement pair for the three
    assert queue_all_ahead(BEFORE + timedelta(milliseconds=100)) == []
    runs = {run.job_id: run for run in Run.objects.all()}
    assert set(runs) == {job.id for job in jobs}
    for job in jobs:
        run = runs[job.id]
        assert (run.state, run.trigger, run.scheduled_for, run.not_before) == (
            "queued",
            "schedule",
            T0,
            T0,
        )
        assert run.args == job.default_args
        job.refresh_from_db()
        assert job.next_fire_at == T0 + timedelta(minutes=1)
    # Nothing is left to do at the second itself.
    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=1)) == 0


def test_only_firings_within_the_lead_are_queued(make_job) -> None:
    job_due_at_t0(make_job, schedule="* * * * * *")  # every second
    queued = queue_all_ahead(T0 - scheduler.QUEUE_AHEAD - timedelta(milliseconds=1))
    assert queued == []
    queued = queue_all_ahead(BEFORE)
    assert [moment for moment, _ in queued] == [
        T0 + timedelta(seconds=n) for n in range(3)
    ]  # T0, T0+1 and T0+2 are within 3 s of BEFORE; T0+3 is not
    assert Run.objects.count() == 3


def test_a_run_queued_ahead_is_handed_out_from_its_second_on(make_job, make_worker) -> None:
    worker = make_worker("w1")
    now = timezone.now()
    second = now.replace(microsecond=0) + timedelta(seconds=2)
    job = make_job("soon", schedule="* * * * * *")
    Job.objects.filter(pk=job.pk).update(next_fire_at=second)
    assert scheduler.queue_ahead(now) == [(second, 1)]

    assert assign_queued_runs() == 0  # not yet
    time.sleep(max(0.0, (second - timezone.now()).total_seconds()) + 0.01)
    assert assign_queued_runs() == 1
    run = Run.objects.get()
    assert (run.state, run.worker_id, run.scheduled_for) == ("dispatched", worker.id, second)


def test_an_edit_after_queueing_ahead_replaces_the_runs_with_the_job_as_it_is_now(
    make_job,
) -> None:
    job = job_due_at_t0(make_job, default_args=["old"])
    queue_all_ahead(BEFORE)
    job.default_args = ["new"]
    job.save()
    scheduler.reschedule(job, BEFORE + timedelta(milliseconds=10))  # as every edit does
    assert not Run.objects.exists()
    job.refresh_from_db()
    assert job.next_fire_at == T0

    assert queue_all_ahead(BEFORE + timedelta(milliseconds=20)) == [(T0, 1)]
    assert Run.objects.get().args == ["new"]


def test_a_job_disabled_after_queueing_ahead_does_not_fire(make_job) -> None:
    job = job_due_at_t0(make_job)
    queue_all_ahead(BEFORE)
    job.enabled = False
    job.save()
    scheduler.reschedule(job, BEFORE + timedelta(milliseconds=10))
    assert not Run.objects.exists()
    assert scheduler.fire_due_jobs(T0) == 0
    assert queue_all_ahead(T0) == []


def test_a_new_schedule_without_that_second_drops_its_run(make_job) -> None:
    job = job_due_at_t0(make_job)
    queue_all_ahead(BEFORE)
    job.schedule = "30 * * * * *"
    job.save()
    scheduler.reschedule(job, BEFORE + timedelta(milliseconds=10))
    assert not Run.objects.exists()
    job.refresh_from_db()
    assert job.next_fire_at == T0 + timedelta(seconds=30)


def test_an_edit_after_the_second_leaves_the_due_run_alone(make_job) -> None:
    job = job_due_at_t0(make_job)
    queue_all_ahead(BEFORE)
    scheduler.reschedule(job, T0 + timedelta(milliseconds=10))
    assert Run.objects.get().scheduled_for == T0  # it fired: it still runs


def test_a_firing_another_scheduler_queued_is_not_queued_again(make_job) -> None:
    job = job_due_at_t0(make_job)
    assert queue_all_ahead(BEFORE) == [(T0, 1)]
    # A second replica with a stale view: even with the claim undone, nothing new.
    Job.objects.filter(pk=job.pk).update(next_fire_at=T0)
    assert queue_all_ahead(BEFORE + timedelta(milliseconds=5)) == []
    assert Run.objects.count() == 1


def test_broadcast_jobs_are_queued_at_their_second(make_job, make_worker) -> None:
    make_worker("a")
    make_worker("b")
    job_due_at_t0(make_job, routing="broadcast")
    assert queue_all_ahead(BEFORE) == []
    assert scheduler.fire_due_jobs(T0) == 2  # one run per worker online then


def test_a_late_firing_follows_the_misfire_rules(make_job) -> None:
    job_due_at_t0(make_job, misfire_policy="skip")
    # The scheduler was down: 40 s late is past the 5 s grace, so it was missed.
    assert queue_all_ahead(T0 + timedelta(seconds=40)) == []
    scheduler.fire_due_jobs(T0 + timedelta(seconds=40))
    run = Run.objects.get()
    assert run.state == "skipped"
    assert run.reason.startswith("missed:")


def test_the_scheduler_wakes_ahead_of_a_firing_and_at_a_broadcast_one(make_job) -> None:
    job_due_at_t0(make_job, "ahead")
    assert scheduler.seconds_until_next_tick(T0 - timedelta(seconds=10), cap=60) == pytest.approx(
        10 - scheduler.QUEUE_AHEAD.total_seconds()
    )
    queue_all_ahead(BEFORE)  # now due in a minute
    job_due_at_t0(make_job, "broadcast", routing="broadcast")
    # Not ahead for the broadcast job (nothing to do then), but at its second.
    assert scheduler.seconds_until_next_tick(BEFORE, cap=60) == pytest.approx(0.8)


# The `skip` rule at the second, by the dispatcher.


def past_job(make_job, name: str = "job", **fields) -> Job:
    """A job whose firing queued ahead is due by now (its second has just passed)."""
    job = make_job(name, schedule=EVERY_MINUTE, **fields)
    second = timezone.now().replace(microsecond=0) - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(next_fire_at=second)
    assert scheduler.queue_ahead(second - timedelta(seconds=1)) == [(second, 1)]
    return job


def test_a_skip_job_still_running_at_the_second_skips_the_firing(make_job, make_worker) -> None:
    make_worker("w1")
    job = past_job(make_job, concurrency="skip")
    running = Run.objects.create(job=job, trigger="manual", state="running")

    assert assign_queued_runs() == 0
    firing = Run.objects.get(trigger="schedule")
    assert firing.state == "skipped"
    assert firing.reason == f"skipped: run {running.id} still active"
    assert firing.finished_at is not None


def test_a_skip_job_idle_at_the_second_runs_the_firing(make_job, make_worker) -> None:
    make_worker("w1")
    job = past_job(make_job, concurrency="skip")
    Run.objects.create(job=job, trigger="manual", state="succeeded")
    assert assign_queued_runs() == 1
    assert Run.objects.get(trigger="schedule").state == "dispatched"


def test_of_several_firings_due_at_once_a_skip_job_keeps_the_earliest(make_job) -> None:
    job = make_job("job", schedule="* * * * * *", concurrency="skip")
    now = timezone.now().replace(microsecond=0)
    firings = [
        Run.objects.create(job=job, trigger="schedule", scheduled_for=now - timedelta(seconds=s))
        for s in (1, 3, 2)
    ]
    assign_queued_runs()  # no worker: the kept one waits
    states = {run.scheduled_for: (run.state, run.reason) for run in Run.objects.all()}
    kept = firings[1]
    assert states[kept.scheduled_for][0] == "queued"
    for run in (firings[0], firings[2]):
        assert states[run.scheduled_for] == ("skipped", f"skipped: run {kept.id} still active")


def test_a_firing_queued_ahead_is_not_active_for_a_run_now(make_job, operator) -> None:
    job = make_job("job", schedule=EVERY_MINUTE, concurrency="skip")
    later = timezone.now() + timedelta(seconds=2)
    Run.objects.create(job=job, trigger="schedule", scheduled_for=later, not_before=later)
    run = queue_manual_run(job, operator)
    assert run.state == "queued"  # not skipped for a firing that has not come yet


def test_the_dispatcher_sleeps_no_later_than_the_next_second_runs_become_due() -> None:
    from octopus.cluster import wakeups

    assert wakeups.seconds_until_due(cap=0.5) == 0.5
    soon = timezone.now() + timedelta(milliseconds=200)
    wakeups.dispatch_at(soon)
    assert 0 < wakeups.seconds_until_due(cap=0.5) <= 0.2
    time.sleep(0.25)
    assert wakeups.seconds_until_due(cap=0.5) == 0.5  # past moments are forgotten


def test_a_new_leaders_dispatcher_learns_when_runs_queued_before_become_due(make_job) -> None:
    from types import SimpleNamespace

    from octopus import loops
    from octopus.cluster import wakeups

    wakeups._due.clear()
    job = make_job("job", schedule=EVERY_MINUTE)
    second = timezone.now() + timedelta(milliseconds=300)
    # Queued ahead by the old leader, which died before the second.
    Run.objects.create(job=job, trigger="schedule", scheduled_for=second, not_before=second)
    unit = loops._Dispatch(SimpleNamespace(is_leader=True, leader_since=timezone.now()))
    assert wakeups.seconds_until_due(cap=0.5) == 0.5
    unit()
    assert 0 < wakeups.seconds_until_due(cap=0.5) <= 0.3
