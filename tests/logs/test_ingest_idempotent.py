"""A batch is stored once, in order, however often it arrives."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from octopus.logs.ingest import store_lines
from octopus.logs.models import LogChunk
from octopus.logs.reading import lines_after
from tests.logs.conftest import lines


def texts(run) -> list[tuple[int, str]]:
    return [(line.seq, line.text) for line in lines_after(run)]


@pytest.mark.django_db
def test_it_stores_a_batch_sent_again_once(make_run) -> None:
    run = make_run()
    batch = lines("a", "b", "c")
    assert store_lines(run, batch) == 3
    chunks = LogChunk.objects.count()
    assert store_lines(run, batch) == 3
    assert texts(run) == [(1, "a"), (2, "b"), (3, "c")]
    assert LogChunk.objects.count() == chunks
    run.refresh_from_db()
    assert run.log_lines == 3


@pytest.mark.django_db
def test_it_stores_only_the_new_lines_of_an_overlapping_batch(make_run) -> None:
    run = make_run()
    store_lines(run, lines("a", "b"))
    store_lines(run, lines("b-again", "c", first=2))
    assert texts(run) == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.django_db
def test_it_keeps_seq_order_and_one_line_per_seq_within_a_batch(make_run) -> None:
    run = make_run()
    ts = 1_790_000_000.0
    store_lines(run, [[3, ts, "stdout", "c"], [1, ts, "stdout", "a"], [2, ts, "stdout", "b"]])
    store_lines(run, [[4, ts, "stdout", "d"], [4, ts, "stdout", "d twice"]])
    assert texts(run) == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]


@pytest.mark.django_db(transaction=True)
def test_it_stores_a_batch_delivered_twice_at_the_same_time_once(make_run) -> None:
    run = make_run()
    batch = lines(*[f"line {i}" for i in range(1, 501)])
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        try:
            start.wait(5)
            store_lines(run, batch)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert [seq for seq, _ in texts(run)] == list(range(1, 501))


@pytest.mark.django_db
def test_a_batch_of_messages_stores_each_runs_lines_in_order(make_run) -> None:
    from octopus.link.reports import apply_spooled_batches
    from octopus_agent import protocol

    run = make_run()
    other = make_run(worker=run.worker)

    def log(message_id: int, run_id: int, *entries: list) -> dict:
        return {"type": protocol.LOG, "id": message_id, "run_id": run_id, "lines": list(entries)}

    messages = [
        log(1, run.id, *lines("a", "b")),
        log(2, run.id, *lines("c", first=3)),
        log(3, other.id, *lines("x")),
        log(4, run.id, *lines("d", first=4)),
        log(5, run.id, *lines("c", first=3)),  # sent again: nothing new
    ]
    assert apply_spooled_batches([(run.worker, messages)]) == [[]]
    assert texts(run) == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    assert texts(other) == [(1, "x")]
    assert [len(m["lines"]) for m in messages] == [2, 1, 1, 1, 1]  # left as they came
