"""Cron schedules: cronsim does the arithmetic; we add macros, time zones and clear errors.

An expression has 5 fields (minute hour day-of-month month day-of-week) or 6, with a
leading seconds field (`*/10 * * * * *`: every ten seconds). `@daily`-style macros are
expanded here because cronsim does not know them. Fire times come back in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

FIELD_HELP = {
    "second": "0-59",
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31, L, LW or 15W",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-7 or SUN-SAT, 5L, MON#2",
}


class CronError(ValueError):
    """The schedule is not a valid cron expression; the message says which part is wrong."""


def expand(expr: str) -> str:
    expr = " ".join(expr.split())
    lowered = expr.lower()
    if lowered == "@reboot":
        raise CronError("@reboot is not supported: Octopus schedules by time only")
    if lowered.startswith("@"):
        if lowered not in MACROS:
            known = ", ".join(MACROS)
            raise CronError(f"unknown shortcut {expr!r}; known shortcuts: {known}")
        return MACROS[lowered]
    return expr


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CronError(f"unknown time zone {name!r}") from exc


def _explain_error(expr: str, exc: CronSimError) -> str:
    parts = expr.split()
    message = str(exc)
    if message == "Wrong number of fields":
        return (
            f"expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a "
            f"leading seconds field, got {len(parts)}"
        )
    if message.startswith("Bad "):
        field = message[4:]
        names = ["minute", "hour", "day-of-month", "month", "day-of-week"]
        if len(parts) == 6:
            names.insert(0, "second")
        if field in names:
            value = parts[names.index(field)]
            return (
                f"bad {field} field {value!r}: allowed {FIELD_HELP[field]}, *, lists, ranges, steps"
            )
        return f"bad {field} field"
    return message


def validate(expr: str, tz_name: str = "UTC") -> str:
    """Return the expanded expression, or raise CronError naming what is wrong."""
    expanded = expand(expr)
    if not expanded:
        raise CronError("the schedule is empty")
    tz = zone(tz_name)
    try:
        next(CronSim(expanded, datetime.now(tz)))
    except CronSimError as exc:
        raise CronError(_explain_error(expanded, exc)) from None
    except StopIteration:  # pragma: no cover - cronsim iterates forever
        raise CronError("the schedule never fires") from None
    return expanded


def fire_times(expr: str, tz_name: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after`, as aware UTC datetimes."""
    it = CronSim(validate(expr, tz_name), after.astimezone(zone(tz_name)))
    return [next(it).astimezone(UTC) for _ in range(count)]


def next_fire_time(expr: str, tz_name: str, after: datetime) -> datetime:
    return fire_times(expr, tz_name, after, 1)[0]


def fire_times_between(
    expr: str, tz_name: str, after: datetime, until: datetime, limit: int = 1000
) -> list[datetime]:
    """Fire times in (after, until], at most `limit` of them (the earliest)."""
    result: list[datetime] = []
    it = CronSim(validate(expr, tz_name), after.astimezone(zone(tz_name)))
    while len(result) < limit:
        t = next(it).astimezone(UTC)
        if t > until:
            break
        result.append(t)
    return result
