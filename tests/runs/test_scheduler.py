"""The scheduler's unit of work: due firings become runs, each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from octopus.jobs.models import Job
from octopus.runs import firings, scheduler
from octopus.runs.dispatch import assign_queued_runs
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def scheduled_job(make_job, **fields) -> Job:
    fields.setdefault("schedule", "* * * * * *")
    job = make_job(**fields)
    scheduler.reschedule(job, T0 - timedelta(seconds=1))
    job.refresh_from_db()
    return job


def test_it_queues_a_due_firing_once(make_job) -> None:
    job = scheduled_job(make_job)
    assert job.next_fire_at == T0
    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=3)) == 1
    assert scheduler.fire_due_jobs(T0 + timedelta(milliseconds=5)) == 0
    run = Run.objects.get()
    assert (run.state, run.trigger, run.scheduled_for) == ("queued", "schedule", T0)
    job.refresh_from_db()
    assert job.next_fire_at == T0 + timedelta(seconds=1)


def test_it_does_not_fire_early(make_job) -> None:
    scheduled_job(make_job)
    assert scheduler.fire_due_jobs(T0 - timedelta(milliseconds=1)) == 0
    assert not Run.objects.exists()


def test_two_schedulers_with_a_stale_view_queue_a_firing_once(make_job) -> None:
    job = scheduled_job(make_job)
    stale = Job.objects.get(pk=job.pk)  # what a second replica read before the first fired
    assert scheduler.fire_job(job, T0) == 1
    assert scheduler.fire_job(stale, T0) == 0
    assert Run.objects.count() == 1


def test_the_unique_firing_constraint_holds_even_without_the_claim(make_job) -> None:
    job = scheduled_job(make_job)
    firing = [firings.Firing(job.id, T0)]
    assert firings.record(firing, T0, count=True) == 1
    assert firings.record(firing, T0, count=True) == 0
    assert Run.objects.count() == 1


def test_skip_concurrency_records_a_skipped_firing_while_a_run_is_active(make_job) -> None:
    scheduled_job(make_job, concurrency="skip")
    scheduler.fire_due_jobs(T0)
    scheduler.fire_due_jobs(T0 + timedelta(seconds=1))
    assign_queued_runs()  # the rule is settled when the dispatcher sees the firing due
    runs = list(Run.objects.order_by("scheduled_for"))
    assert [r.state for r in runs] == ["queued", "skipped"]
    assert runs[1].reason == f"skipped: run {runs[0].id} still active"


def test_queue_concurrency_queues_behind_the_active_run(make_job) -> None:
    job = scheduled_job(make_job, concurrency="queue")
    scheduler.fire_due_jobs(T0)
    scheduler.fire_due_jobs(T0 + timedelta(seconds=1))
    assert list(Run.objects.values_list("state", flat=True)) == ["queued", "queued"]
    assert job.runs.count() == 2


def test_missed_firings_with_run_once_queue_one_catch_up(make_job) -> None:
    scheduled_job(make_job, misfire_policy="run_once", concurrency="queue")
    # The scheduler was down for a minute: an every-second job missed 59 firings; the one
    # of the current second is on time.
    scheduler.fire_due_jobs(T0 + timedelta(seconds=59, milliseconds=10))
    queued = Run.objects.filter(state="queued")
    skipped = Run.objects.filter(state="skipped")
    assert list(queued.values_list("scheduled_for", flat=True)) == [T0 + timedelta(seconds=59)]
    assert skipped.count() == 59
    assert all(r.startswith("missed:") for r in skipped.values_list("reason", flat=True))


def test_a_frequent_job_late_by_half_its_period_has_missed_the_firing(make_job) -> None:
    scheduled_job(make_job, schedule="*/10 * * * * *", concurrency="queue")
    Job.objects.update(next_fire_at=T0)
    scheduler.fire_due_jobs(T0 + timedelta(seconds=4))  # within min(5 s, 10 s / 2)
    assert Run.objects.get().state == "queued"
    Job.objects.update(next_fire_at=T0 + timedelta(seconds=10))
    scheduler.fire_due_jobs(T0 + timedelta(seconds=16))  # 6 s late: missed, caught up
    latest = Run.objects.latest("id")
    assert (latest.state, latest.note) == ("queued", "catch-up run for a missed firing")


def test_missed_firings_with_skip_run_none(make_job) -> None:
    scheduled_job(make_job, schedule="0 * * * *", misfire_policy="skip")
    Job.objects.update(next_fire_at=T0)
    scheduler.fire_due_jobs(T0 + timedelta(hours=3, minutes=30))
    assert not Run.objects.filter(state="queued").exists()
    assert Run.objects.filter(state="skipped").count() == 4  # 10:00, 11:00, 12:00, 13:00


def test_missed_firings_with_run_once_and_nothing_on_time_run_the_latest(make_job) -> None:
    scheduled_job(make_job, schedule="0 * * * *", misfire_policy="run_once")
    Job.objects.update(next_fire_at=T0)
    scheduler.fire_due_jobs(T0 + timedelta(hours=3, minutes=30))
    catch_up = Run.objects.get(state="queued")
    assert catch_up.scheduled_for == T0 + timedelta(hours=3)
    assert catch_up.note == "catch-up run for a missed firing"
    assert Run.objects.filter(state="skipped").count() == 3


def test_disabled_and_manual_jobs_never_fire(make_job) -> None:
    make_job("manual")
    job = make_job("off", schedule="* * * * * *", enabled=False)
    scheduler.reschedule(job, T0)
    assert job.next_fire_at is None
    assert scheduler.fire_due_jobs(T0 + timedelta(days=1)) == 0


def test_time_until_next_firing_is_capped(make_job) -> None:
    scheduled_job(make_job, schedule="0 0 1 1 *")
    assert scheduler.seconds_until_next_tick(T0, cap=1.0) == 1.0
