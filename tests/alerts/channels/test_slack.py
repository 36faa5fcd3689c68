"""Slack incoming webhook: {"text": ...} in mrkdwn, escaped."""

from __future__ import annotations

import pytest

from octopus.alerts import rules, sender
from octopus.alerts.models import Delivery

pytestmark = pytest.mark.django_db


def test_it_posts_escaped_mrkdwn_text(make_channel, catcher, make_job, alert_settings) -> None:
    make_channel("slack", config={"url": f"{catcher.url}/services/T0/B0/xyz"})
    alert = rules.raise_alert(
        "run_failed", job=make_job("etl"), title="etl failed", detail="a < b && c > d"
    )
    sender.run_once()
    (request,) = catcher.requests
    assert request.path == "/services/T0/B0/xyz"
    text = request.json()["text"]
    assert text.startswith("*[Octopus] etl failed*\n")
    assert "a &lt; b &amp;&amp; c &gt; d" in text
    assert text.endswith(f"<http://octopus.test/alerts/{alert.pk}/|Open in Octopus>")
    assert Delivery.objects.get().status == "sent"


def test_a_removed_hook_is_permanent(make_channel, catcher, make_job) -> None:
    catcher.default = (404, b"no_service")
    channel = make_channel("slack", config={"url": catcher.url})
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    assert Delivery.objects.get().last_error == "HTTP 404: no_service"
    channel.refresh_from_db()
    assert not channel.enabled
