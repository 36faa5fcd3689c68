"""Times people and scripts type, made safe to compare in any database."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """The same moment in UTC. Databases refuse some offsets a datetime may carry
    (PostgreSQL: beyond ±15:59), and the first or last day of the calendar has moments
    that UTC cannot hold; those become the earliest or latest moment there is."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return EARLIEST if value.year == datetime.min.year else LATEST


def typed_time(text: str) -> datetime | None:
    """A time typed in a datetime-local field, read in the viewer's (active) time zone, in
    UTC; None when it is not a time."""
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    return None if value is None else as_utc(value)
