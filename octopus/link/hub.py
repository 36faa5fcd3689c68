"""Which workers hold a connection to this server process, and how to reach them.

The dispatcher runs in a thread; worker connections live on the ASGI event loop. A run the
dispatcher hands to a worker connected here is delivered straight into that connection's
mailbox (no database round trip on the hot path); anything else is a nudge that says "look
in the database". The database stays the truth: a connection also polls it, so a lost
delivery costs at most one poll interval, and a run delivered twice is ignored by the agent.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from octopus.cluster import notify
from octopus.runs.command import run_spec

if TYPE_CHECKING:
    from octopus.runs.models import Run
    from octopus.workers.models import Worker


@dataclass
class Mailbox:
    loop: asyncio.AbstractEventLoop
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    runs: deque[dict[str, Any]] = field(default_factory=deque)  # RunSpec dicts to send
    kicked: bool = False  # the worker's token was revoked: close the connection


_lock = threading.Lock()
_mailboxes: dict[int, Mailbox] = {}


def register(worker_id: int) -> Mailbox:
    mailbox = Mailbox(asyncio.get_running_loop())
    with _lock:
        _mailboxes[worker_id] = mailbox
    return mailbox


def unregister(worker_id: int, mailbox: Mailbox) -> None:
    with _lock:
        if _mailboxes.get(worker_id) is mailbox:
            del _mailboxes[worker_id]


def _wake(worker_id: int, change) -> None:
    with _lock:
        mailbox = _mailboxes.get(worker_id)
    if mailbox:
        mailbox.loop.call_soon_threadsafe(change, mailbox)


def _set(mailbox: Mailbox) -> None:
    mailbox.wakeup.set()


def nudge(worker_id: int) -> None:
    """Tell the worker's connection (if here) to look for runs in the database."""
    _wake(worker_id, _set)


def deliver(worker_id: int, spec: dict[str, Any]) -> None:
    """Hand a run straight to the worker's connection, if it is connected here."""

    def put(mailbox: Mailbox) -> None:
        mailbox.runs.append(spec)
        mailbox.wakeup.set()

    _wake(worker_id, put)


def kick(worker_id: int) -> None:
    """Ask this process's connection of the worker (if any) to close (token revoked)."""

    def mark(mailbox: Mailbox) -> None:
        mailbox.kicked = True
        mailbox.wakeup.set()

    _wake(worker_id, mark)


def connected_here() -> list[int]:
    with _lock:
        return list(_mailboxes)


# Reactions (connected in octopus/link/apps.py).


def on_runs_handed_over(handed: list[tuple[Worker, Run]], **_: Any) -> None:
    """Runs were handed to workers (committed): a worker connected here gets its runs
    straight into its mailbox; one connected to another replica reads them from the
    database when that replica is told."""
    here = set(connected_here())
    for worker, run in handed:
        if worker.id in here:
            deliver(worker.id, run_spec(run).to_dict())
    for worker_id in {worker.id for worker, _ in handed} - here:
        notify.announce_elsewhere(notify.WORKER, worker_id)


def on_cancel_requested(worker_id: int, **_: Any) -> None:
    """Nudge the worker's connection, here or on another replica: it sends the cancel."""
    nudge(worker_id)
    notify.announce_elsewhere(notify.WORKER, worker_id)


def on_worker_revoked(worker_id: int, **_: Any) -> None:
    kick(worker_id)


def on_announcement(worker_id: int | None) -> None:
    """Another replica handed runs to (or asked a cancel of) a worker: if it is connected
    here, its connection looks in the database."""
    if worker_id is not None:
        nudge(int(worker_id))
