"""Channel pages: admins only; forms check what is typed; secrets never go back to the
browser or into the audit trail; "send test" goes through the outbox."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.alerts import sender
from octopus.alerts.models import Channel, Delivery

pytestmark = pytest.mark.django_db


def webhook_form(**fields) -> dict:
    return {"name": "ops", "enabled": "on", "is_default": "on", "url": "", "secret": "", **fields}


def test_only_admins_manage_channels(client, operator, viewer, make_channel) -> None:
    channel = make_channel("webhook", config={"url": "http://127.0.0.1:9/"})
    for user in (operator, viewer):
        client.force_login(user)
        for path in (
            "/alerts/channels/",
            "/alerts/channels/new/webhook/",
            f"/alerts/channels/{channel.pk}/",
        ):
            assert client.get(path).status_code == 403, (user, path)
        assert client.post(f"/alerts/channels/{channel.pk}/test/").status_code == 403
        assert client.post(f"/alerts/channels/{channel.pk}/delete/").status_code == 403
    assert Channel.objects.count() == 1 and not Delivery.objects.exists()


def test_an_admin_adds_a_webhook_and_its_secret_stays_secret(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/alerts/channels/new/webhook/",
        webhook_form(url="https://hooks.example.com/T0/very-secret-token", secret="hmac-key"),
    )
    channel = Channel.objects.get()
    assert response.status_code == 302 and response.url == f"/alerts/channels/{channel.pk}/"
    assert (channel.kind, channel.name, channel.enabled, channel.is_default) == (
        "webhook",
        "ops",
        True,
        True,
    )
    assert channel.config == {
        "url": "https://hooks.example.com/T0/very-secret-token",
        "secret": "hmac-key",
    }
    page = client.get(f"/alerts/channels/{channel.pk}/").content.decode()
    assert "very-secret-token" not in page and "hmac-key" not in page
    assert "https://hooks.example.com/…oken" in page  # masked: host and last characters
    event = AuditEvent.objects.get(action="channel.create")
    assert event.after["config"] == {"url": "https://hooks.example.com/…oken", "secret": "(set)"}
    assert "hmac-key" not in str(event.after)


def test_editing_with_blank_secrets_keeps_them_and_a_box_removes_one(
    client, admin_user, make_channel
) -> None:
    channel = make_channel(
        "webhook", name="ops", config={"url": "https://h.example.com/abc", "secret": "k1"}
    )
    client.force_login(admin_user)
    client.post(f"/alerts/channels/{channel.pk}/", webhook_form(name="ops-renamed"))
    channel.refresh_from_db()
    assert channel.name == "ops-renamed"
    assert channel.config == {"url": "https://h.example.com/abc", "secret": "k1"}
    client.post(f"/alerts/channels/{channel.pk}/", webhook_form(name="ops", clear_secret="on"))
    channel.refresh_from_db()
    assert channel.config == {"url": "https://h.example.com/abc", "secret": ""}
    event = AuditEvent.objects.filter(action="channel.update").latest("id")
    masked_url = "https://h.example.com/…/abc"
    assert event.before == {
        "name": "ops-renamed",
        "config": {"url": masked_url, "secret": "(set)"},
    }
    assert event.after == {"name": "ops", "config": {"url": masked_url, "secret": ""}}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("webhook", {"url": "ftp://example.com/x"}, "Enter a valid URL."),
        ("webhook", {"url": ""}, "This field is required."),
        ("email", {"to": "ops@example.com, not-an-address"}, "is not an e-mail address"),
        ("email", {"to": "", "smtp_security": "starttls"}, "This field is required."),
        (
            "email",
            {"to": "a@example.com", "smtp_security": "starttls", "smtp_port": "70000"},
            "less than or equal to 65535",
        ),
        ("dingtalk", {"url": "not a url"}, "Enter a valid URL."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(client, admin_user, kind, fields, message):
    client.force_login(admin_user)
    response = client.post(f"/alerts/channels/new/{kind}/", {"name": "x", **fields})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Channel.objects.exists()


def test_a_duplicate_name_and_an_unknown_kind_are_refused(client, admin_user, make_channel):
    make_channel("slack", name="ops", config={"url": "https://hooks.slack.com/x"})
    client.force_login(admin_user)
    response = client.post("/alerts/channels/new/slack/", {"name": "ops", "url": "https://x.io/"})
    assert "A channel with this name exists already." in response.content.decode()
    assert client.get("/alerts/channels/new/pager/").status_code == 404
    assert Channel.objects.count() == 1


def test_send_test_goes_through_the_outbox_and_the_page_follows_it(
    client, admin_user, make_channel, catcher
) -> None:
    channel = make_channel("webhook", config={"url": catcher.url})
    client.force_login(admin_user)
    response = client.post(f"/alerts/channels/{channel.pk}/test/", headers={"HX-Request": "true"})
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.max_attempts, delivery.status) == ("test", 1, "pending")
    assert "Sending a test message" in response.content.decode()
    assert catcher.requests == []  # not sent in the request
    sender.run_once()
    (request,) = catcher.requests
    assert request.json()["title"] == f"[Octopus] Test message for channel {channel.name}"
    status = client.get(f"/alerts/deliveries/{delivery.pk}/").content.decode()
    assert "Test message sent" in status
    assert AuditEvent.objects.filter(action="channel.test").count() == 1


def test_a_failed_test_shows_the_error_and_keeps_the_channel_enabled(
    client, admin_user, make_channel, catcher
) -> None:
    catcher.default = (404, b"no_service")
    channel = make_channel("slack", config={"url": catcher.url})
    client.force_login(admin_user)
    client.post(f"/alerts/channels/{channel.pk}/test/", headers={"HX-Request": "true"})
    sender.run_once()
    delivery = Delivery.objects.get()
    status = client.get(f"/alerts/deliveries/{delivery.pk}/").content.decode()
    assert "Test message failed: HTTP 404: no_service" in status
    channel.refresh_from_db()
    assert channel.enabled and channel.last_error == "HTTP 404: no_service"
    assert "HTTP 404: no_service" in client.get(f"/alerts/channels/{channel.pk}/").content.decode()


def test_deleting_a_channel_is_audited(client, admin_user, make_channel) -> None:
    channel = make_channel("slack", config={"url": "https://hooks.slack.com/x"})
    client.force_login(admin_user)
    assert client.post(f"/alerts/channels/{channel.pk}/delete/").status_code == 302
    assert not Channel.objects.exists()
    event = AuditEvent.objects.get(action="channel.delete")
    assert event.before["name"] == "slack"
