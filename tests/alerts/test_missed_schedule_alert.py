"""Firings the scheduler was not up for raise one missed-schedule alert counting them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from octopus.alerts.models import Alert
from octopus.jobs.models import Job
from octopus.runs import scheduler

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def test_missed_firings_raise_one_alert_with_their_count(make_job) -> None:
    job = make_job("hourly", schedule="0 * * * *", misfire_policy="skip")
    Job.objects.filter(pk=job.pk).update(next_fire_at=T0)
    scheduler.fire_due_jobs(T0 + timedelta(hours=3, minutes=30))
    alert = Alert.objects.get()
    assert (alert.kind, alert.job, alert.count) == ("missed_schedule", job, 4)
    assert alert.title == "hourly missed 4 scheduled firing(s)"
    assert "2026-11-25 10:00:00 UTC to 2026-11-25 13:00:00 UTC" in alert.detail


def test_firings_on_time_raise_nothing(make_job) -> None:
    job = make_job("often", schedule="* * * * * *")
    scheduler.reschedule(job, T0 - timedelta(seconds=1))
    scheduler.fire_due_jobs(T0 + timedelta(milliseconds=5))
    assert not Alert.objects.exists()
