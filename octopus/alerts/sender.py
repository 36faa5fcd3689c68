"""The sender loop's units: send due deliveries, and queue summaries of merged alerts.

Each unit returns how much it did, so the loop drains while there is work and sleeps when
idle (octopus/loops.py). Sending happens outside any transaction: a slow SMTP server or
webhook never holds a database lock.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from octopus.alerts import messages, outbox
from octopus.alerts.channels.email.transport import EmailTransport
from octopus.alerts.messages import Message
from octopus.alerts.models import Alert, AlertState, Channel, Delivery, DeliveryStatus
from octopus.alerts.transports import Transport, TransportError

log = logging.getLogger("octopus.alerts")

BATCH = 20  # deliveries per unit: the loop comes back at once while there are more
# Stop claiming more after this long in one unit, so a stop request or slow endpoints
# never keep the loop away from its stop flag for long.
UNIT_BUDGET = 2.0  # seconds
# A claimed delivery whose sender died mid-send is taken again after this (it may then be
# sent twice: notifications are at-least-once).
CLAIM_LEASE = timedelta(seconds=60)
BACKOFF_MAX = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the given number of failed attempts: base, 2 base, 4 base..."""
    delay = timedelta(seconds=settings.ALERT_RETRY_BACKOFF * 2 ** (attempts - 1))
    return min(delay, BACKOFF_MAX)


def _due(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_until__lt=now
    )


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take one due delivery with a conditional UPDATE; None if another sender has it."""
    updated = Delivery.objects.filter(_due(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING,
        claimed_until=now + CLAIM_LEASE,
        attempts=F("attempts") + 1,
    )
    if not updated:
        return None  # another sender claimed it first
    return Delivery.objects.select_related("channel").get(pk=delivery_id)


def send_due_deliveries(now: datetime | None = None) -> int:
    """Claim and send up to BATCH due deliveries; return how many were attempted."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(_due(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )
    attempted = 0
    started = time.monotonic()
    for delivery_id in ids:
        if time.monotonic() - started > UNIT_BUDGET:
            break
        delivery = claim(delivery_id, now)
        if delivery is not None:
            deliver(delivery, now)
            attempted += 1
    return attempted


def _transport(delivery: Delivery) -> Transport:
    if delivery.channel is not None:
        return delivery.channel.transport()
    return EmailTransport({"to": [delivery.address]})


def deliver(delivery: Delivery, now: datetime | None = None) -> bool:
    """Send one claimed delivery and record the outcome. Return True when it was sent."""
    now = now or timezone.now()
    message = Message.from_dict(delivery.payload)
    channel = delivery.channel
    if channel is not None and not channel.enabled and delivery.event != "test":
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.FAILED, last_error="the channel is disabled", claimed_until=None
        )
        return False
    try:
        transport = _transport(delivery)
        if not transport.is_noop(message):
            transport.notify(message)
    except TransportError as exc:
        _failed(delivery, exc.message, exc.permanent, now)
        return False
    except Exception as exc:  # a bug in a transport must not stop the loop
        log.exception("delivery %s: unexpected error", delivery.pk)
        _failed(delivery, f"internal error: {type(exc).__name__}: {exc}", False, now)
        return False
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", claimed_until=None
    )
    if delivery.channel_id:
        Channel.objects.filter(pk=delivery.channel_id).update(
            last_sent_at=timezone.now(), last_error=""
        )
    log.info(
        "sent %s to %s (attempt %d)",
        delivery.event,
        delivery.recipient,
        delivery.attempts,
        extra={"action": "delivery_sent", "delivery_id": delivery.pk},
    )
    return True


def _failed(delivery: Delivery, error: str, permanent: bool, now: datetime) -> None:
    """Record a failed attempt: retry after a backoff, or give up when the error is
    permanent or the attempts are used up. The channel shows the error either way."""
    error = error[:500]
    final = permanent or delivery.attempts >= delivery.max_attempts
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
        next_attempt_at=now + retry_delay(delivery.attempts),
        last_error=error,
        claimed_until=None,
    )
    log.warning(
        "could not send %s to %s (attempt %d of %d%s): %s",
        delivery.event,
        delivery.recipient,
        delivery.attempts,
        delivery.max_attempts,
        ", permanent" if permanent else "",
        error,
        extra={"action": "delivery_failed", "delivery_id": delivery.pk},
    )
    if not delivery.channel_id:
        return
    changes: dict = {"last_error": error, "last_error_at": now}
    # A permanent error (revoked token, deleted robot) disables the channel, so alerts stop
    # piling up behind it; a test send never does: the admin is looking at it right now.
    if permanent and delivery.event != "test":
        changes["enabled"] = False
        changes["last_error"] = f"disabled after a permanent error: {error}"[:500]
    Channel.objects.filter(pk=delivery.channel_id).update(**changes)


def queue_due_summaries(now: datetime | None = None) -> int:
    """Open alerts that absorbed occurrences since their last message, and whose summary
    interval has passed, get one summary each. Return how many were queued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ALERT_SUMMARY_INTERVAL)
    due = (
        Alert.objects.filter(
            state=AlertState.OPEN, count__gt=F("notified_upto"), last_notified_at__lte=cutoff
        )
        .select_related("job", "worker")
        .order_by("last_notified_at")[:BATCH]
    )
    queued = 0
    for alert in due:
        with transaction.atomic():
            updated = Alert.objects.filter(
                pk=alert.pk, state=AlertState.OPEN, notified_upto=alert.notified_upto
            ).update(
                notified_upto=alert.count,
                notified_count=F("notified_count") + 1,
                last_notified_at=now,
            )
            if not updated:
                continue  # resolved, acknowledged or summarised meanwhile
            new = alert.count - alert.notified_upto
            outbox.enqueue(messages.summary(alert, new), alert, alert.job)
            queued += 1
    return queued


def run_once(now: datetime | None = None) -> int:
    """The sender loop's unit: summaries first (they add deliveries), then sending."""
    now = now or timezone.now()
    return queue_due_summaries(now) + send_due_deliveries(now)
