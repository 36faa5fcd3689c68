"""Lines packed into chunks come back out exactly as they went in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from octopus.logs.chunks import KIND_RANK, STREAM_LEVEL, letters_at_least, unpack
from octopus.logs.ingest import CHUNK_LINES, blocks_of, chunk_rows

KINDS = sorted(STREAM_LEVEL)
texts = st.text(st.characters(blacklist_characters="\n\x00"), max_size=30)


@st.composite
def batches(draw) -> list[tuple[int, float, str, str]]:
    """Lines in seq order, with holes, and runs of lines sharing a time."""
    out, seq, ts = [], 0, 1_790_000_000.0
    for _ in range(draw(st.integers(0, 60))):
        seq += draw(st.sampled_from([1, 1, 1, 2, 5]))
        if draw(st.booleans()):
            ts += draw(st.sampled_from([0.001, 0.5, 3.0]))
        out.append((seq, ts, draw(st.sampled_from(KINDS)), draw(texts)))
    return out


def stamp(ts: float) -> float:
    return ts


def pack(run_id: int, lines: list[tuple[int, float, str, str]], stamp) -> list[tuple]:
    """Chunk rows for lines (seq, ts, kind, text) in seq order, as ingest stores them."""
    return chunk_rows(run_id, blocks_of(lines), stamp)


@settings(max_examples=300, deadline=None)
@given(batch=batches())
def test_pack_then_unpack_gives_the_lines_back(batch) -> None:
    rows = pack(7, batch, stamp)
    back = []
    for run_id, first, last, ts, worst, kinds, text in rows:
        assert run_id == 7
        unpacked = list(unpack(first, kinds, text))
        assert unpacked[-1].seq == last
        assert worst == min(KIND_RANK[line.kind] for line in unpacked)
        back += [(line.seq, ts, line.kind, line.text) for line in unpacked]
    assert back == batch


def test_a_chunk_holds_lines_of_one_time_without_holes() -> None:
    lines = [(1, 1.0, "i", "a"), (2, 1.0, "e", "b"), (3, 2.0, "i", "c"), (5, 2.0, "i", "d")]
    rows = pack(1, lines, stamp)
    assert [(first, last, kinds, text) for _, first, last, _, _, kinds, text in rows] == [
        (1, 2, "ie", "a\nb"),
        (3, 3, "i", "c"),
        (5, 5, "i", "d"),
    ]


def test_a_chunk_has_a_size_limit() -> None:
    lines = [(i, 1.0, "i", "x") for i in range(1, CHUNK_LINES * 2 + 2)]
    assert [row[1] for row in pack(1, lines, stamp)] == [1, CHUNK_LINES + 1, 2 * CHUNK_LINES + 1]


def test_level_thresholds_pick_the_letters_at_least_that_severe() -> None:
    assert letters_at_least("fatal") == {"f", "F"}
    assert letters_at_least("warn") == {"f", "F", "e", "E", "w", "W", "s"}
    assert {"c", "C", "i", "I"} <= letters_at_least("info")
    assert "t" not in letters_at_least("debug")
