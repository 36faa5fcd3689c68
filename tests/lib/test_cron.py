"""Schedule computation: seconds, time zones, DST, macros and the error messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from octopus.lib import cron


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_five_fields_fire_on_the_minute() -> None:
    times = cron.fire_times("*/15 * * * *", "UTC", utc(2026, 1, 1, 10, 7, 30), 3)
    assert times == [utc(2026, 1, 1, 10, 15), utc(2026, 1, 1, 10, 30), utc(2026, 1, 1, 10, 45)]


def test_six_fields_take_a_leading_seconds_field() -> None:
    times = cron.fire_times("*/10 * * * * *", "UTC", utc(2026, 1, 1, 10, 0, 5), 3)
    assert times == [
        utc(2026, 1, 1, 10, 0, 10),
        utc(2026, 1, 1, 10, 0, 20),
        utc(2026, 1, 1, 10, 0, 30),
    ]


def test_every_second() -> None:
    start = utc(2026, 1, 1, 23, 59, 58, 500_000)
    assert cron.fire_times("* * * * * *", "UTC", start, 3) == [
        utc(2026, 1, 1, 23, 59, 59),
        utc(2026, 1, 2, 0, 0, 0),
        utc(2026, 1, 2, 0, 0, 1),
    ]


def test_fire_times_are_strictly_after_the_start() -> None:
    assert cron.next_fire_time("0 * * * *", "UTC", utc(2026, 1, 1, 10)) == utc(2026, 1, 1, 11)


def test_time_zone_is_applied_and_results_are_utc() -> None:
    # 09:00 in Shanghai (UTC+8, no DST) is 01:00 UTC.
    t = cron.next_fire_time("0 9 * * *", "Asia/Shanghai", utc(2026, 6, 1, 12))
    assert t == utc(2026, 6, 2, 1)
    assert t.tzinfo is UTC


def test_spring_forward_gap_fires_once_at_the_next_valid_time() -> None:
    # Europe/Riga jumps from 03:00 to 04:00 on 2024-03-31: 03:30 does not exist that day.
    times = cron.fire_times("30 3 * * *", "Europe/Riga", utc(2024, 3, 29, 12), 3)
    assert times == [
        utc(2024, 3, 30, 1, 30),  # 03:30 EET (UTC+2)
        utc(2024, 3, 31, 1, 0),  # 04:00 EEST, the first valid minute after the gap
        utc(2024, 4, 1, 0, 30),  # 03:30 EEST (UTC+3)
    ]


def test_autumn_fold_fires_once_not_twice() -> None:
    # On 2024-10-27 Riga repeats 03:00-04:00; a daily 03:30 job must run once that day.
    times = cron.fire_times("30 3 * * *", "Europe/Riga", utc(2024, 10, 26, 12), 3)
    assert times == [
        utc(2024, 10, 27, 0, 30),  # 03:30 EEST (first pass)
        utc(2024, 10, 28, 1, 30),  # next day, EET
        utc(2024, 10, 29, 1, 30),
    ]


def test_hourly_jobs_keep_real_hours_across_the_fold() -> None:
    times = cron.fire_times("0 * * * *", "Europe/Riga", utc(2024, 10, 26, 23, 30), 3)
    assert times == [utc(2024, 10, 27, 0), utc(2024, 10, 27, 1), utc(2024, 10, 27, 2)]


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("@hourly", utc(2026, 1, 1, 11)),
        ("@daily", utc(2026, 1, 2)),
        ("@midnight", utc(2026, 1, 2)),
        ("@weekly", utc(2026, 1, 4)),  # Sunday
        ("@monthly", utc(2026, 2, 1)),
        ("@yearly", utc(2027, 1, 1)),
        ("@annually", utc(2027, 1, 1)),
    ],
)
def test_macros_expand(macro: str, expected: datetime) -> None:
    assert cron.next_fire_time(macro, "UTC", utc(2026, 1, 1, 10, 30)) == expected


def test_fire_times_between_is_bounded_and_inclusive_of_the_end() -> None:
    times = cron.fire_times_between("* * * * * *", "UTC", utc(2026, 1, 1), utc(2026, 1, 1, 0, 0, 3))
    assert times == [utc(2026, 1, 1, 0, 0, s) for s in (1, 2, 3)]
    many = cron.fire_times_between("* * * * * *", "UTC", utc(2026, 1, 1), utc(2026, 1, 2), limit=5)
    assert len(many) == 5


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("61 * * * *", "bad minute field '61': allowed 0-59"),
        ("* 24 * * *", "bad hour field '24': allowed 0-23"),
        ("* * 0 * *", "bad day-of-month field '0'"),
        ("* * * 13 *", "bad month field '13': allowed 1-12 or JAN-DEC"),
        ("* * * * 8", "bad day-of-week field '8'"),
        ("60 * * * * *", "bad second field '60': allowed 0-59"),
        ("* * *", "expected 5 fields"),
        ("* * * * * * *", "expected 5 fields"),
        ("@reboot", "@reboot is not supported"),
        ("@sometimes", "unknown shortcut '@sometimes'"),
        ("", "the schedule is empty"),
        ("*/x * * * *", "bad minute field '*/x'"),
    ],
)
def test_invalid_expressions_say_what_is_wrong(expr: str, message: str) -> None:
    with pytest.raises(cron.CronError, match=message.replace("*", r"\*")):
        cron.validate(expr, "UTC")


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(cron.CronError, match="unknown time zone 'Mars/Olympus'"):
        cron.validate("* * * * *", "Mars/Olympus")
