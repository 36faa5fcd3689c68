"""Template filters used across pages (registered as builtins in settings)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key)


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


@register.filter
def state_label(value: str) -> str:
    """A run state's display name (translated) from its stored value."""
    from octopus.runs.models import RunState

    try:
        return str(RunState(value).label)
    except ValueError:
        return value
