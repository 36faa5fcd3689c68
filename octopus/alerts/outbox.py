"""The outbox: who hears of an alert, and the Delivery rows that carry the message.

Rows are written in the caller's transaction, so an alert change and its notifications
commit together or not at all; the sender loop sends them afterwards, outside any request.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from octopus.alerts.messages import Message
from octopus.alerts.models import Alert, Channel, Delivery

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from octopus.jobs.models import Job

# Set when deliveries were queued: the sender loop of this process goes at once instead of
# at its next poll (other processes' loops still find them by polling).
wakeup = threading.Event()


def recipients(job: Job | None) -> tuple[list[Channel], list[User]]:
    """The job's own recipients (`alert_routing`: {"channels": [ids], "users": [ids]}), or
    the default channels when it has none (and for alerts about workers)."""
    chosen = (job.alert_routing if job is not None else None) or {}
    channel_ids = chosen.get("channels") or []
    user_ids = chosen.get("users") or []
    if not (channel_ids or user_ids):
        return list(Channel.objects.filter(is_default=True, enabled=True)), []
    channels = Channel.objects.filter(id__in=channel_ids, enabled=True)
    users = get_user_model().objects.filter(id__in=user_ids, is_active=True).exclude(email="")
    return list(channels), list(users)


def enqueue(message: Message, alert: Alert | None, job: Job | None) -> int:
    """Queue the message for every recipient of the job; return how many rows."""
    now = timezone.now()
    channels, users = recipients(job)
    common = {
        "alert": alert,
        "event": message.event,
        "payload": message.to_dict(),
        "next_attempt_at": now,
        "max_attempts": settings.ALERT_DELIVERY_ATTEMPTS,
    }
    rows = [Delivery(channel=channel, **common) for channel in channels]
    rows += [Delivery(user=user, address=user.email, **common) for user in users]
    if rows:
        Delivery.objects.bulk_create(rows)
        transaction.on_commit(wakeup.set)
    return len(rows)


def enqueue_test(channel: Channel, message: Message) -> Delivery:
    """A test message for one channel: one attempt, so the admin sees the real outcome."""
    delivery = Delivery.objects.create(
        channel=channel,
        event=message.event,
        payload=message.to_dict(),
        next_attempt_at=timezone.now(),
        max_attempts=1,
    )
    transaction.on_commit(wakeup.set)
    return delivery
