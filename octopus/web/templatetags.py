"""Template filters used across pages (registered as builtins in settings)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.9995:  # else it would read "1000 ms"
        return _("%(n)s ms") % {"n": f"{seconds * 1000:.0f}"}
    if seconds < 60:
        return _("%(n)s s") % {"n": f"{seconds:.1f}"}
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min %(s)s s") % {"m": minutes, "s": secs}


@register.filter
def state_label(value: str) -> str:
    """A run state's display name (translated) from its stored value."""
    from octopus.runs.models import RunState

    try:
        return str(RunState(value).label)
    except ValueError:
        return value


@register.filter
def role_label(value: str) -> str:
    """A role's display name (translated) from its stored value."""
    from octopus.accounts.models import Role

    try:
        return str(Role(value).label)
    except ValueError:
        return value


@register.simple_tag
def state_labels_json() -> str:
    """Run states and their display names (translated), for scripts that show states."""
    import json

    from octopus.runs.models import RunState

    return json.dumps({state.value: str(state.label) for state in RunState}, ensure_ascii=False)
