"""Planned firings: the scheduler works out the jobs due next ahead of time and, when their
second comes, queues them with two statements that read the jobs' current rows. Whatever
changed after planning must still come out as the general path would have it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from octopus.jobs import scheduler
from octopus.jobs.models import Job
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
PLANNED_AT = T0 - timedelta(milliseconds=800)


@pytest.fixture(autouse=True)
def empty_plan() -> Iterator[None]:
    scheduler._plan.clear()
    yield
    scheduler._plan.clear()


def planned_job(make_job, name: str = "job", **fields) -> Job:
    fields.setdefault("schedule", "* * * * * *")
    job = make_job(name, **fields)
    scheduler.reschedule(job, T0 - timedelta(seconds=1))
    job.refresh_from_db()
    assert job.next_fire_at == T0
    return job


def planned_groups() -> list[tuple[datetime, str, str]]:
    return sorted(
        (firing, schedule, time_zone)
        for firing, groups in scheduler._plan.items()
        for schedule, time_zone in groups
    )


def test_planned_firings_are_queued_once_with_the_jobs_current_args(make_job) -> None:
    jobs = [planned_job(make_job, f"job-{n}", default_args=["a"]) for n in range(3)]
    scheduler.prepare_next_firings(PLANNED_AT)
    assert planned_groups() == [(T0, "* * * * * *", "UTC")]  # one group for the three
    Job.objects.filter(pk=jobs[0].pk).update(default_args=["changed", "after planning"])

    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=2)) == 3
    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=4)) == 0
    runs = {run.job_id: run for run in Run.objects.all()}
    assert set(runs) == {job.id for job in jobs}
    for run in runs.values():
        assert (run.state, run.trigger, run.scheduled_for, run.attempt) == (
            "queued",
            "schedule",
            T0,
            1,
        )
        assert run.finished_at is None
    assert runs[jobs[0].id].args == ["changed", "after planning"]
    assert runs[jobs[1].id].args == ["a"]
    for job in jobs:
        job.refresh_from_db()
        assert job.next_fire_at == T0 + timedelta(seconds=1)


def test_a_planned_skip_job_with_an_active_run_records_a_skipped_firing(make_job) -> None:
    job = planned_job(make_job, concurrency="skip")
    active = Run.objects.create(job=job, state="running")
    scheduler.prepare_next_firings(PLANNED_AT)

    assert scheduler.fire_due_jobs(T0) == 1
    fired = Run.objects.get(scheduled_for=T0)
    assert fired.state == "skipped"
    assert fired.reason == f"skipped: run {active.id} still active"
    assert fired.finished_at is not None


def test_a_planned_skip_job_without_an_active_run_is_queued(make_job) -> None:
    job = planned_job(make_job, concurrency="skip")
    Run.objects.create(job=job, state="succeeded")
    scheduler.prepare_next_firings(PLANNED_AT)

    assert scheduler.fire_due_jobs(T0) == 1
    assert Run.objects.get(scheduled_for=T0).state == "queued"


def test_a_job_disabled_after_planning_does_not_fire(make_job) -> None:
    job = planned_job(make_job)
    scheduler.prepare_next_firings(PLANNED_AT)
    Job.objects.filter(pk=job.pk).update(enabled=False)

    assert scheduler.fire_due_jobs(T0) == 0
    assert not Run.objects.exists()


def test_a_schedule_edited_after_planning_fires_by_the_new_schedule(make_job) -> None:
    job = planned_job(make_job)
    scheduler.prepare_next_firings(PLANNED_AT)
    # Every 10 s now; T0 (second 0) is still a firing of it.
    Job.objects.filter(pk=job.pk).update(schedule="*/10 * * * * *")

    assert scheduler.fire_due_jobs(T0) == 1
    assert Run.objects.get().scheduled_for == T0
    job.refresh_from_db()
    assert job.next_fire_at == T0 + timedelta(seconds=10)  # not the planned T0 + 1 s


def test_a_firing_another_scheduler_queued_is_not_queued_again(make_job) -> None:
    job = planned_job(make_job)
    scheduler.prepare_next_firings(PLANNED_AT)
    stale_plan = {moment: dict(groups) for moment, groups in scheduler._plan.items()}
    assert scheduler.fire_due_jobs(T0) == 1
    # A second replica that planned the same second fires after the first: nothing new.
    scheduler._plan.update(stale_plan)
    Job.objects.filter(pk=job.pk).update(next_fire_at=T0)  # even with the claim undone
    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=5)) == 0
    assert Run.objects.count() == 1


def test_a_late_planned_firing_follows_the_misfire_rules(make_job) -> None:
    job = planned_job(make_job, schedule="0 * * * * *", misfire_policy="skip")
    scheduler.prepare_next_firings(T0 - timedelta(seconds=2))
    assert planned_groups() == [(T0, job.schedule, "UTC")]

    # 40 s late: past the 5 s grace, so it was missed, not run late.
    scheduler.fire_due_jobs(T0 + timedelta(seconds=40))
    run = Run.objects.get()
    assert run.state == "skipped"
    assert run.reason.startswith("missed:")


def test_broadcast_jobs_are_not_planned(make_job) -> None:
    planned_job(make_job, routing="broadcast")
    scheduler.prepare_next_firings(PLANNED_AT)
    assert planned_groups() == []
