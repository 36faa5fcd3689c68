"""Output backpressure: how much of the jobs' output may wait for the server.

While the server is connected, a job printing faster than the server stores its lines
would otherwise pile up a backlog in the outbox, and every live viewer would see its
output seconds late. Past the window the agent stops reading the jobs' output until the
server has acknowledged enough; the jobs then block on a full pipe, as they would writing
to a slow terminal, and go on at the server's pace. (Docker's default log mode blocks the
same way.) While the server is unreachable nothing is held back: the outbox on disk takes
the output, up to its own bound, so an outage never stalls a job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class OutputWindow:
    def __init__(self, limit: int, backlog: Callable[[], int]) -> None:
        self.limit = limit  # bytes; 0 = never hold output back
        self.backlog = backlog  # bytes of output waiting for the server now
        self.enforced = False  # only while connected
        self._changed = asyncio.Event()

    def has_room(self) -> bool:
        return not (self.limit and self.enforced and self.backlog() > self.limit)

    async def wait_for_room(self) -> None:
        while not self.has_room():
            self._changed.clear()
            await self._changed.wait()

    def enforce(self, enforced: bool) -> None:
        self.enforced = enforced
        self._changed.set()

    def changed(self) -> None:
        """The backlog shrank (the server acknowledged some)."""
        self._changed.set()
