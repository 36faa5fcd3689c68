"""Wake the loops of this process early instead of waiting for their next poll.

Each loop also polls the database, so these are only about latency: a run queued by a
request should reach a worker in milliseconds, not at the next tick.
"""

from __future__ import annotations

import threading

scheduler = threading.Event()  # a job's schedule changed
dispatcher = threading.Event()  # a run was queued or a worker became available


def wake_scheduler() -> None:
    scheduler.set()


def wake_dispatcher() -> None:
    """Wake the dispatcher here at once, and the leader's wherever it runs."""
    dispatcher.set()
    from octopus.cluster import notify

    notify.announce_elsewhere(notify.DISPATCH)
