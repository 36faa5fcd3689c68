"""The sender loop: claims due deliveries, sends them for real, retries with backoff,
gives up after bounded attempts and shows failures on the channel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts import rules, sender
from octopus.alerts.models import Channel, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(make_channel, catcher):
    return make_channel("webhook", config={"url": f"{catcher.url}/hook"})


def open_alert(make_job, name: str = "etl"):
    return rules.raise_alert("run_failed", job=make_job(name), title=f"{name} failed")


def test_it_sends_a_due_delivery_and_marks_it_sent(
    webhook, catcher, make_job, alert_settings
) -> None:
    alert = open_alert(make_job)
    assert sender.run_once() == 1
    (request,) = catcher.requests
    assert request.path == "/hook"
    assert request.json()["alert"]["id"] == alert.pk
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    webhook.refresh_from_db()
    assert webhook.last_sent_at is not None
    assert sender.run_once() == 0  # nothing left


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(
    webhook, catcher, make_job, alert_settings
) -> None:
    catcher.script = [(500, b"upstream down")]
    open_alert(make_job)
    now = timezone.now()
    assert sender.send_due_deliveries(now) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "HTTP 500: upstream down"
    assert delivery.next_attempt_at == now + timedelta(seconds=15)
    webhook.refresh_from_db()
    assert webhook.last_error == "HTTP 500: upstream down"  # visible while it retries

    assert sender.send_due_deliveries(now + timedelta(seconds=14)) == 0  # not yet
    assert sender.send_due_deliveries(now + timedelta(seconds=15)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(catcher.requests) == 2
    # The same message again; only its signed `sent_at` (replay protection) is new, and it
    # differs when the two sends fall in different seconds.
    first, again = (json.loads(request.body) for request in catcher.requests)
    assert again.pop("sent_at") >= first.pop("sent_at")
    assert first == again
    webhook.refresh_from_db()
    assert webhook.last_error == ""


def test_it_gives_up_after_the_attempts_and_says_why(
    webhook, catcher, make_job, alert_settings
) -> None:
    catcher.default = (503, b"")
    open_alert(make_job)
    now = timezone.now()
    for attempt, delay in enumerate((0, 15, 45), start=1):  # backoff 15 s, then 30 s
        assert sender.send_due_deliveries(now + timedelta(seconds=delay)) == 1, attempt
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    assert sender.send_due_deliveries(now + timedelta(days=1)) == 0
    assert len(catcher.requests) == 3
    webhook.refresh_from_db()
    assert webhook.enabled  # not permanent: the channel stays on


def test_a_permanent_error_fails_at_once_and_disables_the_channel(
    webhook, catcher, make_job, alert_settings
) -> None:
    catcher.script = [(410, b"channel_is_archived")]
    open_alert(make_job)
    sender.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    webhook.refresh_from_db()
    assert not webhook.enabled
    assert webhook.last_error == "disabled after a permanent error: HTTP 410: channel_is_archived"
    # Later alerts are not routed to a disabled channel at all.
    open_alert(make_job, "other")
    assert Delivery.objects.count() == 1


def test_an_unreachable_endpoint_is_a_retryable_error(make_channel, make_job, alert_settings):
    from tests.e2e.octopus_process import free_port

    make_channel("webhook", config={"url": f"http://127.0.0.1:{free_port()}/nobody"})
    open_alert(make_job)
    sender.run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("could not connect:")


def test_a_delivery_is_claimed_by_one_sender_only(webhook, make_job, alert_settings) -> None:
    open_alert(make_job)
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert sender.claim(delivery.pk, now) is not None
    assert sender.claim(delivery.pk, now) is None  # another sender got there first
    # A sender that died mid-send: after the lease another one takes it again.
    assert sender.claim(delivery.pk, now + sender.CLAIM_LEASE + timedelta(seconds=1))


def test_a_delivery_to_a_channel_disabled_meanwhile_is_not_sent(
    webhook, catcher, make_job, alert_settings
) -> None:
    open_alert(make_job)
    Channel.objects.update(enabled=False)
    sender.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "the channel is disabled")
    assert catcher.requests == []
