"""A worker going offline raises an alert; its coming back resolves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts.models import Alert, Delivery
from octopus.runs.monitor import mark_silent_workers_offline
from octopus.workers import presence

pytestmark = pytest.mark.django_db


def test_offline_then_back(make_worker, make_channel, settings) -> None:
    settings.WORKER_TIMEOUT = 30
    make_channel()
    worker = make_worker("edge-1", last_seen=timezone.now() - timedelta(seconds=45))
    assert mark_silent_workers_offline(timezone.now()) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.worker, alert.job) == ("worker_offline", worker, None)
    assert alert.title == "worker edge-1 is offline"
    assert alert.detail.startswith("Silent for 4")

    presence.worker_connected(worker, {"hostname": "edge-1", "labels": []})
    alert.refresh_from_db()
    assert (alert.state, alert.resolution) == ("resolved", "worker edge-1 is back online")
    recovery = Delivery.objects.get(event="recovery")
    assert recovery.payload["title"] == "[Octopus] Recovered: worker edge-1"


def test_a_connecting_worker_without_alerts_queues_nothing(make_worker, make_channel) -> None:
    make_channel()
    presence.worker_connected(make_worker("fine"), {"hostname": "fine"})
    assert not Delivery.objects.exists()


def test_a_heartbeat_after_being_declared_offline_also_resolves(make_worker, settings) -> None:
    settings.WORKER_TIMEOUT = 30
    worker = make_worker("edge-2", last_seen=timezone.now() - timedelta(seconds=45))
    mark_silent_workers_offline(timezone.now())
    presence.heartbeat(worker, {"load": {"running": 0}})
    alert = Alert.objects.get()
    assert (alert.state, alert.resolution) == ("resolved", "worker edge-2 is back online")
    presence.heartbeat(worker, {"load": {"running": 0}})  # an ordinary heartbeat: nothing
    assert Alert.objects.filter(state="resolved").count() == 1
