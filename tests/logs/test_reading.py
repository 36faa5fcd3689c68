"""lines_after: the one way to read a run's lines (the CLI and the live log use it)."""

from __future__ import annotations

import pytest

from octopus.logs.ingest import store_lines
from octopus.logs.reading import lines_after
from tests.logs.conftest import lines

pytestmark = pytest.mark.django_db


def test_it_reads_in_order_from_any_seq_with_a_limit(make_run) -> None:
    run = make_run()
    store_lines(run, lines(*[f"l{i}" for i in range(1, 8)], ts=1_790_000_000.0))
    store_lines(run, lines(*[f"l{i}" for i in range(8, 13)], first=8, ts=1_790_000_001.0))
    assert [line.seq for line in lines_after(run)] == list(range(1, 13))
    assert [line.text for line in lines_after(run.id, 5, limit=4)] == ["l6", "l7", "l8", "l9"]
    assert lines_after(run, 12) == []
    line = lines_after(run, 7, limit=1)[0]
    assert (line.seq, line.stream, line.level, line.ts.timestamp()) == (
        8,
        "stdout",
        "info",
        1_790_000_001.0,
    )


def test_it_filters_by_level_threshold(make_run) -> None:
    run = make_run()
    store_lines(
        run,
        lines("2026/11/24:10:00:00 a error bad", "fine", "2026/11/24:10:00:00 a fatal worse")
        + lines("warned", first=4, stream="stderr"),
    )
    assert [line.seq for line in lines_after(run, min_level="error")] == [1, 3]
    assert [line.seq for line in lines_after(run, min_level="warn")] == [1, 3, 4]
    assert [line.seq for line in lines_after(run, min_level="all")] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="unknown level 'loud'"):
        lines_after(run, min_level="loud")


def test_a_hole_in_the_seqs_is_visible_to_readers(make_run) -> None:
    run = make_run()
    store_lines(run, lines("a", "b"))
    store_lines(run, lines("e", first=5))
    assert [line.seq for line in lines_after(run)] == [1, 2, 5]
