"""A worker connection applies what it received in pieces, oldest first."""

from __future__ import annotations

from octopus.link.consumer import MAX_BATCH_BYTES, AgentConsumer

KIB = 1024


def consumer_with(sizes: list[int]) -> AgentConsumer:
    consumer = AgentConsumer()
    consumer.inbox = [({"id": i}, size) for i, size in enumerate(sizes, 1)]
    consumer.inbox_bytes = sum(sizes)
    return consumer


def test_pieces_stop_once_they_reach_the_batch_size() -> None:
    assert MAX_BATCH_BYTES == 256 * KIB
    consumer = consumer_with([100 * KIB] * 7)
    pieces = []
    while consumer.inbox:
        pieces.append([message["id"] for message in consumer._take_batch()])
    assert pieces == [[1, 2, 3], [4, 5, 6], [7]]
    assert consumer.inbox_bytes == 0


def test_a_message_bigger_than_a_batch_goes_alone_and_small_ones_together() -> None:
    consumer = consumer_with([1024 * KIB, 1 * KIB, 1 * KIB])
    assert [m["id"] for m in consumer._take_batch()] == [1]
    assert consumer.inbox_bytes == 2 * KIB
    assert [m["id"] for m in consumer._take_batch()] == [2, 3]
