"""History search: by text, job, worker, level and time, newest first, page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.logs.ingest import store_lines
from octopus.logs.search import LogQuery, Position, fts_query, highlight, search
from tests.logs.conftest import lines

pytestmark = pytest.mark.django_db


def found(query: LogQuery, **kwargs) -> list[str]:
    return [hit.text for hit in search(query, timezone.now(), **kwargs).hits]


@pytest.fixture
def history(make_job, make_worker, make_run):
    """Two jobs on two workers, with lines at several times and levels."""
    now = timezone.now()
    etl, web = make_job("etl"), make_job("web")
    w1, w2 = make_worker("w1"), make_worker("w2")
    a = make_run(job=etl, worker=w1)
    b = make_run(job=web, worker=w2)
    at = lambda hours: (now - timedelta(hours=hours)).timestamp()  # noqa: E731
    store_lines(a, lines("connection reset by peer", "retrying user_id=42", ts=at(30)))
    store_lines(a, lines("2026/11/24:10:00:00 etl error disk full", first=3, ts=at(20)))
    store_lines(b, lines("GET /index.html 200", "数据库连接失败 retry", ts=at(10)))
    store_lines(b, lines("Connection RESET again", first=3, ts=at(1), stream="stderr"))
    return {"etl": etl, "web": web, "w1": w1, "w2": w2, "a": a, "b": b, "now": now}


def test_it_finds_lines_with_the_text_newest_first(history) -> None:
    assert found(LogQuery(text="connection reset")) == [
        "Connection RESET again",
        "connection reset by peer",
    ]


def test_a_word_finds_the_words_it_starts(history) -> None:
    assert found(LogQuery(text="conn")) == ["Connection RESET again", "connection reset by peer"]
    assert found(LogQuery(text="user_id=42")) == ["retrying user_id=42"]
    assert found(LogQuery(text="/index.html")) == ["GET /index.html 200"]


def test_it_finds_text_in_scripts_without_spaces(history) -> None:
    assert found(LogQuery(text="连接失败")) == ["数据库连接失败 retry"]


def test_text_that_is_not_there_finds_nothing(history) -> None:
    assert found(LogQuery(text="zebra")) == []
    assert found(LogQuery(text='" OR 1=1 --')) == []  # quoted: never read as FTS syntax


def test_it_filters_by_run(history) -> None:
    assert found(LogQuery(run_id=history["a"].id, text="re")) == [
        "retrying user_id=42",
        "connection reset by peer",
    ]


def test_it_filters_by_job_worker_and_level(history) -> None:
    assert found(LogQuery(job_id=history["etl"].id, text="re")) == [
        "retrying user_id=42",
        "connection reset by peer",
    ]
    assert found(LogQuery(worker_id=history["w2"].id)) == [
        "Connection RESET again",
        "数据库连接失败 retry",
        "GET /index.html 200",
    ]
    assert found(LogQuery(min_level="error")) == ["2026/11/24:10:00:00 etl error disk full"]
    assert found(LogQuery(min_level="warn")) == [
        "Connection RESET again",
        "2026/11/24:10:00:00 etl error disk full",
    ]


def test_it_filters_by_time_and_stays_within_retention(history, settings) -> None:
    now = history["now"]
    query = LogQuery(since=now - timedelta(hours=25), until=now - timedelta(hours=5))
    assert found(query) == [
        "数据库连接失败 retry",
        "GET /index.html 200",
        "2026/11/24:10:00:00 etl error disk full",
    ]
    settings.LOG_RETENTION = timedelta(hours=12)
    assert found(LogQuery(text="reset")) == ["Connection RESET again"]


def test_it_pages_older_and_newer_without_repeating_or_skipping(make_run) -> None:
    run = make_run()
    base = timezone.now().timestamp() - 3600
    for i in range(7):  # chunks of 3 lines at 7 times: 21 lines
        texts = [f"line {3 * i + j}" for j in range(3)]
        store_lines(run, lines(*texts, first=3 * i + 1, ts=base + i))
    query = LogQuery(text="line")
    now = timezone.now()
    pages, page = [], search(query, now, size=5)
    while True:
        pages.append([hit.seq for hit in page.hits])
        if page.older is None:
            break
        page = search(query, now, older_than=page.older, size=5)
    assert [seq for p in pages for seq in p] == list(range(21, 0, -1))
    assert [len(p) for p in pages] == [5, 5, 5, 5, 1]
    back = search(query, now, newer_than=page.newer, size=5)
    assert [hit.seq for hit in back.hits] == pages[-2]
    newest = search(query, now, newer_than=Position.parse(back.newer.token()), size=5)
    assert [hit.seq for hit in newest.hits] == pages[-3]


def test_a_bad_page_position_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a page position"):
        Position.parse("yesterday")


def test_the_text_index_query_quotes_every_word() -> None:
    assert fts_query("conn reset") == '"conn"* "reset"*'
    assert fts_query("NEAR(a b) OR c") == '"NEAR"* "a"* "b"* "OR"* "c"*'
    assert fts_query("->") is None
    assert fts_query("连接") is None


def test_matches_are_marked_for_display() -> None:
    assert highlight("a Reset b reset", "reset") == [
        ("a ", False),
        ("Reset", True),
        (" b ", False),
        ("reset", True),
    ]
    assert highlight("x" * 10, "", limit=4) == [("xxxx…", False)]
