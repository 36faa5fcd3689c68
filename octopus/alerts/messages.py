"""What a notification says. Built once, when the event happens, and stored in the outbox:
a retry an hour later still says what was true then."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from octopus.alerts.models import Alert

DETAIL_LIMIT = 1000  # characters of detail in a message; chat robots cap message size
PREFIX = "[Octopus] "  # every title's start: Octopus's own words, the rest quotes jobs and runs


@dataclass(frozen=True)
class Message:
    event: str  # a DeliveryEvent value: opened | summary | recovery | test
    title: str
    lines: tuple[str, ...] = ()
    url: str = ""
    alert: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Title, body and link as plain text."""
        parts = [self.title, *self.lines]
        if self.url:
            parts.append(self.url)
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines"] = list(self.lines)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        return cls(
            event=data["event"],
            title=data["title"],
            lines=tuple(data.get("lines", ())),
            url=data.get("url", ""),
            alert=data.get("alert"),
            extra=data.get("extra") or {},
        )


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def alert_url(alert: Alert) -> str:
    base = settings.OCTOPUS_BASE_URL.rstrip("/")
    return f"{base}/alerts/{alert.pk}/" if base else ""


def _facts(alert: Alert) -> list[str]:
    lines = [f"{alert.get_kind_display()} · {alert.subject}"]
    if alert.last_run_id:
        lines.append(f"Run: #{alert.last_run_id}")
    if alert.detail:
        detail = alert.detail
        if len(detail) > DETAIL_LIMIT:
            detail = detail[:DETAIL_LIMIT] + "…"
        lines.append(detail)
    return lines


def opened(alert: Alert) -> Message:
    lines = _facts(alert)
    lines.append(f"First seen: {when(alert.first_seen)}")
    if alert.count > 1:
        lines.append(f"Count: {alert.count}")
    return Message(
        event="opened",
        title=f"{PREFIX}{alert.title}",
        lines=tuple(lines),
        url=alert_url(alert),
        alert=alert.to_dict(),
    )


def summary(alert: Alert, new: int) -> Message:
    lines = _facts(alert)
    lines.append(
        f"{new} more since the last message; {alert.count} in all between "
        f"{when(alert.first_seen)} and {when(alert.last_seen)}"
    )
    return Message(
        event="summary",
        title=f"{PREFIX}Still happening (x{alert.count}): {alert.title}",
        lines=tuple(lines),
        url=alert_url(alert),
        alert=alert.to_dict(),
        extra={"new": new},
    )


def recovery(alerts: Iterable[Alert], reason: str) -> Message:
    alerts = list(alerts)
    newest = alerts[0]
    lines = [reason]
    for alert in alerts:
        lines.append(
            f"Resolved: {alert.get_kind_display()} x{alert.count} "
            f"({when(alert.first_seen)} → {when(alert.last_seen)})"
        )
    return Message(
        event="recovery",
        title=f"{PREFIX}Recovered: {newest.subject}",
        lines=tuple(lines),
        url=alert_url(newest),
        alert=newest.to_dict(),
        extra={"resolved": [a.pk for a in alerts]},
    )


def test(channel_name: str, by: str) -> Message:
    return Message(
        event="test",
        title=f"{PREFIX}Test message for channel {channel_name}",
        lines=(f"Sent by {by} from the channel page. If you read this, the channel works.",),
    )
