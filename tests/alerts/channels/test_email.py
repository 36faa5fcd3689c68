"""E-mail for real, to a local SMTP server (aiosmtpd): through a channel's own SMTP
settings, and to people routed by a job, through the server's settings."""

from __future__ import annotations

import pytest

from octopus.alerts import rules, sender
from octopus.alerts.models import Delivery

pytestmark = pytest.mark.django_db


def test_a_channel_sends_through_its_own_smtp_server(make_channel, smtp, make_job, alert_settings):
    make_channel(
        "email",
        config={
            "to": ["ops@example.com", "dev@example.com"],
            "from_address": "octopus@example.com",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
        },
    )
    alert = rules.raise_alert(
        "run_failed", job=make_job("etl"), title="etl failed: exit code 1", detail="Run #9: boom"
    )
    sender.run_once()
    assert Delivery.objects.get().status == "sent"
    (message,) = smtp.messages
    assert smtp.envelopes == [("octopus@example.com", ["ops@example.com", "dev@example.com"])]
    assert message["Subject"] == "[Octopus] etl failed: exit code 1"
    assert message["X-Octopus-Event"] == "opened"
    body = message.get_payload(decode=True).decode()
    assert "Run #9: boom" in body
    assert f"http://octopus.test/alerts/{alert.pk}/" in body


def test_people_routed_by_the_job_get_mail_at_their_address(
    make_user, make_job, smtp, settings
) -> None:
    # The server's SMTP settings, pointed at the local server (pytest-django swaps in the
    # in-memory backend; put the real one back).
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "alerts@octopus.test"
    oncall = make_user("olga", "viewer")
    oncall.email = "olga@example.com"
    oncall.save()
    job = make_job("etl", alert_routing={"channels": [], "users": [oncall.pk]})
    rules.raise_alert("run_failed", job=job, title="etl failed")
    sender.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.user, delivery.address, delivery.status) == (
        oncall,
        "olga@example.com",
        "sent",
    )
    assert smtp.envelopes == [("alerts@octopus.test", ["olga@example.com"])]


def test_a_refused_recipient_is_a_permanent_error(make_channel, make_job, smtp) -> None:
    smtp.refused = {"ghost@example.com"}
    channel = make_channel(
        "email",
        config={
            "to": ["ghost@example.com"],
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
        },
    )
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "recipients refused: ghost@example.com",
    )
    assert smtp.messages == []
    channel.refresh_from_db()
    assert not channel.enabled
