"""Bad entries from a worker get a clear warning and lose nothing else of the batch."""

from __future__ import annotations

import logging
import time

import pytest

from octopus.logs.ingest import store_lines
from octopus.logs.reading import lines_after

pytestmark = pytest.mark.django_db


def stored(run) -> list[tuple[int, str, str]]:
    return [(line.seq, line.stream, line.text) for line in lines_after(run)]


def test_it_refuses_malformed_entries_by_name_and_stores_the_rest(make_run, caplog) -> None:
    run = make_run()
    now = time.time()
    batch = [
        [1, now, "stdout", "first"],
        ["x"],
        [0, now, "stdout", "seq zero"],
        ["two", now, "stdout", "seq not a number"],
        [2**31, now, "stdout", "seq too large"],
        None,
        [2, now, "stdout", "second"],
    ]
    with caplog.at_level(logging.WARNING, logger="octopus.logs"):
        assert store_lines(run, batch) == 2
    assert stored(run) == [(1, "stdout", "first"), (2, "stdout", "second")]
    (record,) = caplog.records
    assert f"run {run.id}: 5 log line(s) refused" in record.getMessage()
    assert "not [seq, ts, stream, text]: ['x']" in record.getMessage()
    assert "sequence number out of range: 0" in record.getMessage()


def test_it_keeps_a_line_with_a_bad_time_at_the_time_it_arrived(make_run) -> None:
    run = make_run()
    before = time.time()
    store_lines(run, [[1, "yesterday", "stdout", "a"], [2, float("nan"), "stdout", "b"]])
    assert [line.text for line in lines_after(run)] == ["a", "b"]
    assert all(line.ts.timestamp() >= before - 1 for line in lines_after(run))


def test_it_makes_text_from_any_client_storable(make_run, settings) -> None:
    settings.LOG_LINE_MAX_BYTES = 1000
    run = make_run()
    now = time.time()
    store_lines(
        run,
        [
            [1, now, "stdout", "two\nlines"],
            [2, now, "stdout", "nul\x00byte"],
            [3, now, "stdout", "lone surrogate \ud800 here"],
            [4, now, "stdout", "é" * 600],  # 1200 bytes of UTF-8
            [5, now, "stdout", 12345],
            [6, now, "weird-stream-name", "kept"],
        ],
    )
    texts = [text for _, _, text in stored(run)]
    assert texts[0] == "two\\nlines"
    assert texts[1] == "nul\\x00byte"
    assert texts[2] == "lone surrogate \\xed\\xa0\\x80 here"
    assert texts[3] == "é" * 500 + " …[line cut at 1000 bytes]"
    assert texts[4:] == ["12345", "kept"]
    assert stored(run)[5][1] == "stdout"


def test_an_empty_or_useless_batch_stores_nothing(make_run) -> None:
    run = make_run()
    assert store_lines(run, []) == 0
    assert store_lines(run, [["garbage"]]) == 0
    assert stored(run) == []
