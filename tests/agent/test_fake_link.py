from __future__ import annotations

import asyncio

import pytest

from octopus_agent import protocol
from octopus_agent.link import LinkDown
from octopus_agent.testing import FakeServerLink


async def test_fake_link_answers_hello_with_welcome() -> None:
    link = FakeServerLink(welcome={"type": protocol.WELCOME, "worker_id": 9})
    await link.open()
    await link.send({"type": protocol.HELLO})
    assert await link.receive() == {"type": protocol.WELCOME, "worker_id": 9}
    await link.push({"type": protocol.ACK, "upto": 0})
    assert await link.receive() == {"type": protocol.ACK, "upto": 0}
    assert link.sent == [{"type": protocol.HELLO}]


async def test_fake_link_down_fails_every_call_and_wakes_a_pending_receive() -> None:
    link = FakeServerLink()
    await link.open()
    await link.send({"type": protocol.HELLO})
    await link.receive()  # the welcome
    pending = asyncio.create_task(link.receive())
    await asyncio.sleep(0)
    link.down = True
    with pytest.raises(LinkDown):
        await asyncio.wait_for(pending, 5)
    with pytest.raises(LinkDown):
        await link.open()
    with pytest.raises(LinkDown):
        await link.send({"type": protocol.HEARTBEAT})
    with pytest.raises(LinkDown):
        await link.receive()
    link.down = False
    await link.open()
    assert link.opens == 2


async def test_fake_link_auto_acks_spooled_messages() -> None:
    link = FakeServerLink(auto_ack=True)
    await link.open()
    await link.send({"type": protocol.HELLO})
    await link.receive()
    await link.send({"type": protocol.HEARTBEAT})
    await link.send({"type": protocol.LOG, "id": 4, "run_id": 1, "lines": []})
    assert await link.receive() == {"type": protocol.ACK, "upto": 4}
