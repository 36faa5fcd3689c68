from __future__ import annotations

from datetime import timedelta

import pytest

from octopus.lib.duration import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("72h", timedelta(hours=72)),
        (" 90m ", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("1.5h", timedelta(minutes=90)),
        ("2W", timedelta(weeks=2)),
    ],
)
def test_it_reads_a_number_with_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["3", "", "d", "3 days", "-1d", "3x", "1h30m"])
def test_it_refuses_anything_else_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 3d, 72h, 90m or 45s"):
        parse_duration(text)


def test_it_refuses_zero() -> None:
    with pytest.raises(ValueError, match="must be longer than zero"):
        parse_duration("0h")


@pytest.mark.parametrize("text", ["999999999w", "1000000000d", "9" * 400 + "s"])
def test_it_refuses_what_no_duration_can_hold(text: str) -> None:
    # timedelta holds 999999999 days; past that the message says so (not an OverflowError).
    with pytest.raises(ValueError, match="is too long"):
        parse_duration(text)
