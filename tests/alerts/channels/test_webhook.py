"""Generic webhook: the message as JSON to a real local HTTP server, signed with
HMAC-SHA256 over the exact body when a secret is set."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from octopus.alerts import rules, sender
from octopus.alerts.models import Delivery

pytestmark = pytest.mark.django_db


def test_it_posts_the_alert_as_json_signed_with_the_shared_secret(
    make_channel, make_job, catcher, alert_settings
) -> None:
    make_channel("webhook", config={"url": f"{catcher.url}/in?src=octopus", "secret": "s3cret"})
    alert = rules.raise_alert("run_failed", job=make_job("etl"), title="etl failed: exit code 1")
    sender.run_once()
    (request,) = catcher.requests
    assert (request.path, request.query) == ("/in", {"src": "octopus"})
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["x-octopus-event"] == "opened"
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-octopus-signature-256"] == f"sha256={expected}"
    body = request.json()
    assert body["event"] == "opened"
    assert body["title"] == "[Octopus] etl failed: exit code 1"
    assert body["alert"]["id"] == alert.pk
    assert body["alert"]["kind"] == "run_failed"
    assert body["alert"]["job"] == "etl"
    assert body["url"] == f"http://octopus.test/alerts/{alert.pk}/"
    assert abs(body["sent_at"] - time.time()) < 60
    assert Delivery.objects.get().status == "sent"


def test_without_a_secret_there_is_no_signature(make_channel, make_job, catcher) -> None:
    make_channel("webhook", config={"url": catcher.url})
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    assert "x-octopus-signature-256" not in catcher.requests[0].headers
