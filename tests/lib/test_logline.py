from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octopus.lib.logline import (
    CODE_END,
    CODE_HEARTBEAT,
    CODE_START,
    LEVELS,
    ParsedLine,
    format_line,
    level_at_least,
    parse_line,
)

T = datetime(2026, 11, 24, 10, 0, 0)


def unstructured(text: str, level: str = "info") -> ParsedLine:
    return ParsedLine(level, None, None, None, text, structured=False)


# --- parse_line: examples -------------------------------------------------------------------


def test_seed_example() -> None:
    assert parse_line("2013/07/04:16:41:00 app_name error Process has exited!") == ParsedLine(
        "error", None, datetime(2013, 7, 4, 16, 41), "app_name", "Process has exited!", True
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("2026-11-24T10:00:00", T),
        ("2026-11-24T10:00", T),
        (
            "2026-11-24T10:00:00.123+08:00",
            datetime(2026, 11, 24, 10, 0, 0, 123000, timezone(timedelta(hours=8))),
        ),
        ("2026-11-24T10:00:00+0800", T.replace(tzinfo=timezone(timedelta(hours=8)))),
        ("2026-11-24T10:00:00-05", T.replace(tzinfo=timezone(timedelta(hours=-5)))),
        ("2026-11-24T10:00:00Z", T.replace(tzinfo=UTC)),
        ("2026-11-24t10:00:00z", T.replace(tzinfo=UTC)),  # RFC 3339 allows lower case
        ("2026-11-24T10:00:00,5", T.replace(microsecond=500000)),
    ],
)
def test_iso_times(token: str, expected: datetime) -> None:
    parsed = parse_line(f"{token} etl info hello")
    assert parsed.structured
    assert parsed.time == expected
    assert parsed.time.utcoffset() == expected.utcoffset()  # naive stays naive, aware keeps offset


@pytest.mark.parametrize(
    "token",
    [
        "2026-11-24",  # date only: too easy to hit in free text
        "20261124T100000",  # basic format
        "2026-11-24X10:00:00",  # fromisoformat would take any separator
        "2026-W47-1T10:00:00",  # week date
        "2026-11-24T24:00:00",
        "2026-11-24T10:00:00+24:00",
        "2026-02-30T10:00:00",
        "2013/13/45:99:00:00",
        "2013/02/29:00:00:00",  # not a leap year
        "2013/7/4:16:41:00",  # fields must be zero-padded
        "0000/01/01:00:00:00",
        "\u0662\u0660\u0661\u0663/07/04:16:41:00",  # non-ASCII digits
    ],
)
def test_bad_times_are_unstructured(token: str) -> None:
    text = f"{token} etl error boom"
    assert parse_line(text) == unstructured(text)


@pytest.mark.parametrize("code", [CODE_START, CODE_HEARTBEAT, CODE_END])
def test_codes(code: int) -> None:
    assert parse_line(f"2026/11/24:10:00:00 etl {code} batch 7") == ParsedLine(
        "info", code, T, "etl", "batch 7", True
    )


def test_code_without_content() -> None:
    assert parse_line("2026/11/24:10:00:00 etl 120") == ParsedLine("info", 120, T, "etl", "", True)
    assert parse_line("2026/11/24:10:00:00 etl 120 ").content == ""


@pytest.mark.parametrize("code", ["404", "0100", "100.0", "-100", "\uff11\uff10\uff10"])
def test_unknown_codes_are_unstructured(code: str) -> None:
    text = f"2026/11/24:10:00:00 etl {code} x"
    assert parse_line(text) == unstructured(text)


def test_cursor_line() -> None:
    parsed = parse_line("2026-11-24T10:00:00Z sync cursor offset=1234 page=7")
    assert parsed == ParsedLine(
        "cursor", None, T.replace(tzinfo=UTC), "sync", "offset=1234 page=7", True
    )


@pytest.mark.parametrize(
    ("token", "level"),
    [("ERROR", "error"), ("Warn", "warn"), ("warning", "warn"), ("WARNING", "warn"),
     ("Cursor", "cursor")] + [(name, name) for name in LEVELS],
)  # fmt: skip
def test_level_names_case_insensitive(token: str, level: str) -> None:
    assert parse_line(f"2026/11/24:10:00:00 etl {token} x").level == level


@pytest.mark.parametrize("token", ["verbose", "err", "critical", "all", "none", "\u0131nfo"])
def test_unknown_level_is_unstructured(token: str) -> None:
    text = f"2026/11/24:10:00:00 etl {token} x"
    assert parse_line(text) == unstructured(text)


def test_stream_defaults() -> None:
    assert parse_line("plain output") == unstructured("plain output", "info")
    assert parse_line("oops", "stderr") == unstructured("oops", "warn")
    assert parse_line("odd", "other") == unstructured("odd", "info")
    # A structured line's own level wins over the stream default.
    assert parse_line("2026/11/24:10:00:00 etl debug x", "stderr").level == "debug"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "2026/11/24:10:00:00",
        "2026/11/24:10:00:00 etl",
        " 2026/11/24:10:00:00 etl info indented",  # must start with the time
        "app_name error 2013/07/04:16:41:00 wrong order",
    ],
)
def test_not_in_format(text: str) -> None:
    assert parse_line(text) == unstructured(text)


def test_trailing_newlines_stripped() -> None:
    assert parse_line("2026/11/24:10:00:00 etl info done\r\n").content == "done"
    assert parse_line("2026/11/24:10:00:00 etl 120\n") == ParsedLine(
        "info", 120, T, "etl", "", True
    )
    assert parse_line("plain\r\n", "stderr") == unstructured("plain", "warn")


def test_content_verbatim() -> None:
    # Any whitespace run separates the tokens; the run after the level goes, the rest stays.
    parsed = parse_line("2026/11/24:10:00:00\t etl  info \t a  b\tc  ")
    assert (parsed.name, parsed.level, parsed.content) == ("etl", "info", "a  b\tc  ")
    assert parse_line("2026/11/24:10:00:00 etl info a\nb").content == "a\nb"
    assert parse_line("2026/11/24:10:00:00 etl info \x00\x1b[31mred").content == "\x00\x1b[31mred"


# --- format_line ----------------------------------------------------------------------------


def test_format_seed_example() -> None:
    line = format_line(datetime(2013, 7, 4, 16, 41), "app_name", "error", "Process has exited!")
    assert line == "2013/07/04:16:41:00 app_name error Process has exited!"


def test_format_variants() -> None:
    assert format_line(T, "etl", CODE_END) == "2026/11/24:10:00:00 etl 120"
    assert format_line(T, "etl", "110", "hb") == "2026/11/24:10:00:00 etl 110 hb"
    assert format_line(T, "etl", "WARNING", "w") == "2026/11/24:10:00:00 etl warn w"
    assert format_line(T, "etl", "cursor", "42") == "2026/11/24:10:00:00 etl cursor 42"
    assert format_line(T.replace(microsecond=999999), "e", "info") == "2026/11/24:10:00:00 e info"
    assert format_line(datetime(5, 1, 2, 3, 4, 5), "e", "info") == "0005/01/02:03:04:05 e info"


def test_format_aware_time_uses_wall_clock() -> None:
    aware = T.replace(tzinfo=timezone(timedelta(hours=8)))
    assert format_line(aware, "etl", "info", "x") == "2026/11/24:10:00:00 etl info x"


@pytest.mark.parametrize("name", ["", "a b", "a\tb", "a\nb", "a\u3000b", " "])
def test_format_bad_name(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        format_line(T, name, "info")


@pytest.mark.parametrize("level", ["verbose", "", "all", 404, 0, True, 100.0])
def test_format_bad_level(level: object) -> None:
    with pytest.raises(ValueError, match="level"):
        format_line(T, "etl", level)  # type: ignore[arg-type]


# --- level_at_least -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "threshold", "expected"),
    [
        ("error", "warn", True),
        ("warn", "error", False),
        ("warn", "warn", True),
        ("fatal", "trace", True),
        ("trace", "debug", False),
        ("cursor", "info", True),
        ("cursor", "warn", False),
        ("info", "cursor", True),
        ("debug", "cursor", False),
        ("WARNING", "Warn", True),
        ("trace", "all", True),
        ("fatal", "none", False),
        ("fatal", "NONE", False),
    ],
)
def test_level_at_least(level: str, threshold: str, expected: bool) -> None:
    assert level_at_least(level, threshold) is expected


@pytest.mark.parametrize(("level", "threshold"), [("verbose", "info"), ("info", "verbose"),
                                                  ("all", "info"), ("none", "all")])  # fmt: skip
def test_level_at_least_unknown(level: str, threshold: str) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        level_at_least(level, threshold)


# --- properties -----------------------------------------------------------------------------

any_char = st.characters(codec=None, exclude_categories=())  # surrogates and controls included
level_tokens = st.sampled_from([*LEVELS, "cursor", "WARNING", "Error", "100", "110", "120", "404"])
time_tokens = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y/%m/%d:%H:%M:%S")),
    st.datetimes(timezones=st.timezones() | st.none()).map(datetime.isoformat),
    st.from_regex(r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[T:][0-9:+Z.-]{0,16}", fullmatch=True),
)
# Mostly-structured lines reach the time and level parsers, not just the "no match" branch.
near_lines = st.builds(
    lambda *parts: "".join(parts),
    time_tokens, st.text(" \t", min_size=1), st.text(any_char, min_size=1),
    st.text(" \t\n", min_size=1), level_tokens | st.text(any_char), st.text(any_char),
)  # fmt: skip


@given(st.text(any_char) | near_lines, st.text(any_char) | st.sampled_from(["stdout", "stderr"]))
def test_parse_never_raises(text: str, stream: str) -> None:
    parsed = parse_line(text, stream)
    if parsed.structured:
        assert parsed.level in (*LEVELS, "cursor")
        assert parsed.time is not None and parsed.name and not parsed.name.isspace()
        assert parsed.code is None or parsed.level == "info"
    else:
        assert parsed == unstructured(text.rstrip("\r\n"), "warn" if stream == "stderr" else "info")


not_space = st.characters(codec=None, exclude_categories=()).filter(lambda c: not c.isspace())
names = st.text(not_space, min_size=1)
levels = st.sampled_from([*LEVELS, "cursor", CODE_START, CODE_HEARTBEAT, CODE_END])
# Content round-trips exactly when it has no leading whitespace (the separator run after the
# level absorbs it) and no CR/LF (a trailing one is stripped as the line terminator).
contents = st.text(any_char.filter(lambda c: c not in "\r\n")).map(str.lstrip)
times = st.datetimes(datetime(1970, 1, 1), datetime(2100, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0)
)


@given(times, names, levels, contents)
def test_round_trip(time: datetime, name: str, level: str | int, content: str) -> None:
    parsed = parse_line(format_line(time, name, level, content))
    code = level if isinstance(level, int) else None
    assert parsed == ParsedLine(
        "info" if code else str(level), code, time, name, content, structured=True
    )


@given(times, names, levels, st.text(any_char.filter(lambda c: c not in "\r\n")))
def test_leading_content_whitespace_is_dropped(
    time: datetime, name: str, level: str | int, content: str
) -> None:
    assert parse_line(format_line(time, name, level, content)).content == content.lstrip()


all_levels = st.sampled_from([*LEVELS, "cursor"])


@given(all_levels, all_levels)
def test_level_order_is_total(a: str, b: str) -> None:
    assert level_at_least(a, a)
    assert level_at_least(a, b) or level_at_least(b, a)
    assert level_at_least(a, "all") and not level_at_least(a, "none")
