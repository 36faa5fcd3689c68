"""Template filters used across pages (registered as builtins in settings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from octopus.lib.cron import CronError, zone

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key)


@register.filter
def in_zone(value: datetime, tz_name: str) -> datetime:
    try:
        return value.astimezone(zone(tz_name))
    except CronError:
        return value


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"
