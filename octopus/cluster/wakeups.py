"""Wake the loops of this process early instead of waiting for their next poll.

Each loop also polls the database, so these are only about latency: a run queued by a
request should reach a worker in milliseconds, not at the next tick.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from datetime import datetime

from octopus.cluster import notify

scheduler = threading.Event()  # a job's schedule changed
dispatcher = threading.Event()  # a run was queued or a worker became available


def wake_scheduler() -> None:
    scheduler.set()


def wake_dispatcher() -> None:
    """Wake the dispatcher here at once, and the leader's wherever it runs."""
    dispatcher.set()
    notify.announce_elsewhere(notify.DISPATCH)


# Set by the leader's loops (octopus.loops): runs a dispatcher pass in the calling
# thread when this process dispatches and no pass is under way; False when it did not.
inline_dispatch: Callable[[], bool] | None = None


def dispatch_now() -> None:
    """After queueing a run someone is waiting for (run now, the API): hand it out from
    this thread at once where this process is the dispatcher, saving the wake-up of the
    dispatcher thread and the wait for it; otherwise wake the dispatcher, here or on the
    leader."""
    if inline_dispatch is None or not inline_dispatch():
        wake_dispatcher()


# Moments (epoch seconds) at which runs queued ahead become due: the dispatcher of this
# process sleeps no later than the next one. The scheduler, which queues them, runs in the
# same process; a dispatcher that starts leading reads those queued before from the
# database (octopus/loops.py).
_due: list[float] = []
_due_lock = threading.Lock()


def dispatch_at(moment: datetime) -> None:
    with _due_lock:
        heapq.heappush(_due, moment.timestamp())
    if moment.timestamp() <= time.time():
        dispatcher.set()


def seconds_until_due(cap: float) -> float:
    """Until the next moment runs become due, at most `cap`."""
    now = time.time()
    with _due_lock:
        while _due and _due[0] <= now:
            heapq.heappop(_due)
        return min(cap, _due[0] - now) if _due else cap
