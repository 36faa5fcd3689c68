"""Neighbouring occurrences of one alert merge into one row; the first notifies at once,
the rest go out as one summary per interval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts import by_hand, rules, sender
from octopus.alerts.models import Alert, Delivery

pytestmark = pytest.mark.django_db


def fail(job, now):
    return rules.raise_alert("run_failed", job=job, title=f"{job.name} failed", now=now)


def test_it_opens_an_alert_and_queues_its_first_message_at_once(
    make_job, make_channel, alert_settings
) -> None:
    make_channel()
    now = timezone.now()
    alert = fail(make_job("etl"), now)
    assert (alert.state, alert.count, alert.first_seen, alert.last_seen) == ("open", 1, now, now)
    delivery = Delivery.objects.get()
    assert (delivery.alert, delivery.event, delivery.status) == (alert, "opened", "pending")
    assert delivery.payload["title"] == "[Octopus] etl failed"
    assert delivery.payload["url"] == f"http://octopus.test/alerts/{alert.pk}/"


def test_it_merges_occurrences_within_the_window_into_one_alert(
    make_job, make_channel, alert_settings
) -> None:
    make_channel()
    job = make_job("etl")
    start = timezone.now()
    for second in range(30):
        alert = fail(job, start + timedelta(seconds=second * 10))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1
    assert alert.count == 30
    assert (alert.first_seen, alert.last_seen) == (start, start + timedelta(seconds=290))
    assert Delivery.objects.count() == 1  # merged occurrences wait for the summary


def test_it_opens_a_new_alert_after_a_gap_longer_than_the_window(
    make_job, make_channel, alert_settings
) -> None:
    make_channel()
    job = make_job("etl")
    start = timezone.now()
    first = fail(job, start)
    second = fail(job, start + timedelta(seconds=601))
    assert first.pk != second.pk
    first.refresh_from_db()
    assert (first.state, first.count, first.merge_key) == ("open", 1, None)
    assert (second.count, second.merge_key) == (1, f"run_failed:job:{job.pk}")
    assert Delivery.objects.filter(event="opened").count() == 2


def test_it_keeps_jobs_kinds_and_workers_apart(make_job, make_worker, alert_settings) -> None:
    now = timezone.now()
    a, b = make_job("a"), make_job("b")
    fail(a, now)
    fail(b, now)
    rules.raise_alert("log_level", job=a, title="a logged errors", now=now)
    rules.raise_alert("worker_offline", worker=make_worker("w1"), title="w1 offline", now=now)
    rules.raise_alert("worker_offline", worker=make_worker("w2"), title="w2 offline", now=now)
    assert Alert.objects.count() == 5
    assert set(Alert.objects.values_list("count", flat=True)) == {1}


def test_it_sends_one_summary_per_interval_covering_what_merged(
    make_job, make_channel, alert_settings
) -> None:
    make_channel()
    job = make_job("etl")
    start = timezone.now()
    alert = fail(job, start)
    for second in range(1, 120):
        fail(job, start + timedelta(seconds=second))
    assert sender.queue_due_summaries(start + timedelta(seconds=599)) == 0
    assert sender.queue_due_summaries(start + timedelta(seconds=600)) == 1
    summary = Delivery.objects.get(event="summary")
    assert summary.payload["extra"] == {"new": 119}
    assert "119 more since the last message; 120 in all" in summary.payload["lines"][-1]
    alert.refresh_from_db()
    assert (alert.notified_count, alert.notified_upto) == (2, 120)
    # Nothing new since: no further summary, however long we wait.
    assert sender.queue_due_summaries(start + timedelta(seconds=5000)) == 0


def test_a_job_failing_every_second_for_half_an_hour_makes_a_handful_of_messages(
    make_job, make_channel, alert_settings
) -> None:
    make_channel()
    job = make_job("flappy")
    start = timezone.now()
    for second in range(1800):
        now = start + timedelta(seconds=second)
        fail(job, now)
        if second % 5 == 0:  # the sender loop's unit, as it runs between failures
            sender.queue_due_summaries(now)
    sender.queue_due_summaries(start + timedelta(seconds=2400))
    alert = Alert.objects.get()
    assert alert.count == 1800
    events = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events == ["opened", "summary", "summary", "summary"]  # at 0, 600, 1200, 2400 s
    assert alert.notified_upto == 1800


def test_an_acknowledged_alert_keeps_counting_but_sends_no_summaries(
    make_job, make_channel, admin_user, alert_settings
) -> None:
    make_channel()
    job = make_job("etl")
    start = timezone.now()
    alert = fail(job, start)
    assert by_hand.acknowledge(alert, admin_user).state == "acknowledged"
    fail(job, start + timedelta(seconds=5))
    alert.refresh_from_db()
    assert (alert.state, alert.count) == ("acknowledged", 2)
    assert sender.queue_due_summaries(start + timedelta(seconds=3600)) == 0
    assert Delivery.objects.filter(event="summary").count() == 0


def test_a_resolved_alert_takes_no_more_occurrences(make_job, admin_user, alert_settings) -> None:
    job = make_job("etl")
    now = timezone.now()
    first = fail(job, now)
    assert by_hand.resolve(first, admin_user).state == "resolved"
    second = fail(job, now + timedelta(seconds=1))
    assert second.pk != first.pk
    first.refresh_from_db()
    assert (first.state, first.count, first.resolution) == ("resolved", 1, "resolved by alice")


@pytest.mark.django_db(transaction=True)
def test_concurrent_occurrences_from_many_threads_make_one_alert(make_job, alert_settings) -> None:
    import threading

    from django.db import connection

    job = make_job("busy")
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def raise_many() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                fail(job, timezone.now())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_many) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    alert = Alert.objects.get()
    assert alert.count == 120
