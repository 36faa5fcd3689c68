"""Durations written the way people write them in settings: `3d`, `72h`, `90m`, `45s`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw])\s*", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """`3d` → 3 days. A unit is required (s, m, h, d, w): a bare number is ambiguous.

    Raises ValueError with a message fit for the person who wrote the value.
    """
    match = _DURATION.fullmatch(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 3d, 72h, 90m or 45s")
    amount, unit = float(match.group(1)), match.group(2).lower()
    try:
        duration = timedelta(**{_UNITS[unit]: amount})
    except OverflowError:  # past timedelta's 999999999 days
        raise ValueError(f"{text!r} is too long") from None
    if duration <= timedelta(0):
        raise ValueError(f"{text!r} must be longer than zero")
    return duration
