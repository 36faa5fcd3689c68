"""Blocks: how our agent sends output, consecutive lines read together as one entry
[first_seq, ts, stream, texts joined by "\n"]. They must come out exactly as the same lines
sent one by one would: levels, end marker, cursor, idempotency, bad input."""

from __future__ import annotations

import logging
import time

import pytest

from octopus.jobs.models import Job
from octopus.logs.ingest import CHUNK_LINES, store_blocks, store_lines
from octopus.logs.models import LogChunk
from octopus.logs.reading import lines_after
from tests.logs.conftest import lines

pytestmark = pytest.mark.django_db
TS = 1_790_000_000.25


def stored(run) -> list[tuple[int, str, str, str]]:
    return [(line.seq, line.stream, line.level, line.text) for line in lines_after(run)]


def test_blocks_are_stored_as_the_same_lines_one_by_one(make_run) -> None:
    texts = [
        "2013/07/04:16:41:00 app_name error Process has exited!",
        "plain text",
        "2026-11-24T10:00:00Z app debug detail",
        "1234 starts with digits but is not a time",
        "2026/11/24:10:00:00 etl cursor 42",
        "2026/11/24:10:00:00 app 120 done",
    ]
    by_lines, by_blocks = make_run(), make_run()
    store_lines(
        by_lines,
        lines(*texts, ts=TS)
        + lines("on stderr", "2026/11/24:10:00:00 app fatal boom", first=7, ts=TS, stream="stderr")
        + lines("octopus: killed", first=9, ts=TS + 1, stream="system"),
    )
    assert (
        store_blocks(
            by_blocks,
            [
                [1, TS, "stdout", "\n".join(texts)],
                [7, TS, "stderr", "on stderr\n2026/11/24:10:00:00 app fatal boom"],
                [9, TS + 1, "system", "octopus: killed"],
            ],
        )
        == 9
    )
    assert stored(by_blocks) == stored(by_lines)
    assert [level for _, _, level, _ in stored(by_blocks)] == [
        *("error", "info", "debug", "info", "cursor", "info"),
        *("warn", "fatal", "warn"),
    ]
    for run in (by_lines, by_blocks):
        run.refresh_from_db()
        assert (run.log_lines, run.saw_end_marker) == (9, True)
        assert Job.objects.get(pk=run.job_id).cursor == "42"


def test_a_block_sent_again_or_overlapping_stores_only_new_lines(make_run) -> None:
    run = make_run()
    first = [1, TS, "stdout", "a\nb\nc"]
    assert store_blocks(run, [first]) == 3
    assert store_blocks(run, [first]) == 3  # sent again after a lost ack: nothing new
    store_blocks(run, [[2, TS, "stdout", "b again\nc again\nd"], [4, TS, "stdout", "d twice"]])
    assert [(seq, text) for seq, _, _, text in stored(run)] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
        (4, "d"),
    ]


def test_a_block_over_a_chunk_is_split_and_read_back_whole(make_run) -> None:
    run = make_run()
    count = CHUNK_LINES * 2 + 7
    store_blocks(run, [[1, TS, "stdout", "\n".join(f"line {i}" for i in range(1, count + 1))]])
    assert LogChunk.objects.filter(run=run).count() == 3
    back = [line.text for line in lines_after(run, limit=count + 1)]
    assert back == [f"line {i}" for i in range(1, count + 1)]


def test_bad_blocks_are_refused_by_name_and_the_rest_stored(make_run, caplog) -> None:
    run = make_run()
    batch = [
        [1, TS, "stdout", "first\nsecond"],
        ["x"],
        [0, TS, "stdout", "seq zero"],
        ["three", TS, "stdout", "seq not a number"],
        [2**31 - 1, TS, "stdout", "last seq\ntoo large"],
        [5, TS, "stdout", 12345],
        None,
        [3, "yesterday", "stdout", "bad time kept"],
    ]
    before = time.time()
    with caplog.at_level(logging.WARNING, logger="octopus.logs"):
        assert store_blocks(run, batch) == 3
    assert [(seq, text) for seq, _, _, text in stored(run)] == [
        (1, "first"),
        (2, "second"),
        (3, "bad time kept"),
    ]
    assert lines_after(run)[2].ts.timestamp() >= before  # kept at the time it arrived
    (record,) = caplog.records
    assert f"run {run.id}: 6 log block(s) refused" in record.getMessage()
    assert "sequence numbers out of range: 0" in record.getMessage()


def test_text_in_a_block_is_made_storable(make_run, settings) -> None:
    settings.LOG_LINE_MAX_BYTES = 1000
    run = make_run()
    store_blocks(run, [[1, TS, "stdout", "nul\x00byte\n" + "é" * 600 + "\nshort"]])
    assert [text for _, _, _, text in stored(run)] == [
        "nul\\x00byte",
        "é" * 500 + " …[line cut at 1000 bytes]",
        "short",
    ]


def test_an_error_line_in_a_block_raises_the_jobs_alert(make_run) -> None:
    from octopus.alerts.models import Alert

    run = make_run()
    store_blocks(run, [[1, TS, "stdout", "ok\n2026/11/24:10:00:00 app error disk full\nok"]])
    (alert,) = Alert.objects.all()
    assert alert.title == f"{run.job.name} logged error lines"
    assert "disk full" in alert.detail
