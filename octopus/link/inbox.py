"""Apply what all the workers connected to this process send, together.

Every worker connection used to apply its own messages: with many workers each sending a
message every few milliseconds, that was one transaction (and one trip through the
database thread) per message, and the fixed cost of those dwarfed the work. Here the
connections of one event loop hand their messages to one applier, which takes everything
waiting from all of them into one transaction; under load the batches grow by themselves,
and the cost per run falls as they do.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from channels.db import database_sync_to_async

from octopus.link import reports
from octopus.workers.models import Worker

Waiting = tuple[Worker, list[dict[str, Any]], asyncio.Future]


class _Applier:
    def __init__(self) -> None:
        self.waiting: list[Waiting] = []
        self.task: asyncio.Task | None = None

    async def apply(self, worker: Worker, messages: list[dict[str, Any]]) -> list[int]:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((worker, messages, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            taken, self.waiting = self.waiting, []
            try:
                results = await database_sync_to_async(reports.apply_spooled_batches)(
                    [(worker, messages) for worker, messages, _ in taken]
                )
            except BaseException as exc:  # cancelled with the loop, or a bug
                for *_, future in taken:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for (*_, future), abandon in zip(taken, results, strict=True):
                if not future.done():  # its connection may have gone meanwhile
                    future.set_result(abandon)


# One applier per event loop (tests run several loops, one after another).
_appliers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Applier] = (
    weakref.WeakKeyDictionary()
)


async def apply(worker: Worker, messages: list[dict[str, Any]]) -> list[int]:
    """Apply one worker's messages, in order, with whatever the others sent meanwhile;
    return the runs this worker must abandon."""
    loop = asyncio.get_running_loop()
    applier = _appliers.get(loop)
    if applier is None:
        applier = _appliers[loop] = _Applier()
    return await applier.apply(worker, messages)
