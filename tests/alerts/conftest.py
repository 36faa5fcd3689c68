from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.catcher import HttpCatcher, SmtpCatcher


@pytest.fixture
def catcher() -> Iterator[HttpCatcher]:
    server = HttpCatcher().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpCatcher]:
    server = SmtpCatcher().start()
    yield server
    server.stop()


@pytest.fixture
def make_channel(db):
    from octopus.alerts.models import Channel

    def make(kind: str = "webhook", name: str | None = None, **fields):
        fields.setdefault("is_default", True)
        return Channel.objects.create(kind=kind, name=name or kind, **fields)

    return make


@pytest.fixture
def alert_settings(settings):
    """Round numbers for the window arithmetic in tests."""
    settings.ALERT_MERGE_WINDOW = 600
    settings.ALERT_SUMMARY_INTERVAL = 600
    settings.ALERT_RETRY_BACKOFF = 15
    settings.ALERT_DELIVERY_ATTEMPTS = 3
    settings.OCTOPUS_BASE_URL = "http://octopus.test"
    return settings
