"""Which workers hold a connection to this server process, and how to wake them.

The dispatcher runs in a thread; worker connections live on the ASGI event loop. A nudge
crosses over with `call_soon_threadsafe` and only says "look for runs": the run itself is
always read from the database, so a lost nudge costs at most one poll interval.
"""

from __future__ import annotations

import asyncio
import threading

_lock = threading.Lock()
_connections: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}
_kicked: set[int] = set()


def register(worker_id: int) -> asyncio.Event:
    event = asyncio.Event()
    with _lock:
        _connections[worker_id] = (asyncio.get_running_loop(), event)
    return event


def unregister(worker_id: int, event: asyncio.Event) -> None:
    with _lock:
        if _connections.get(worker_id, (None, None))[1] is event:
            del _connections[worker_id]


def nudge(worker_id: int) -> None:
    with _lock:
        entry = _connections.get(worker_id)
    if entry:
        loop, event = entry
        loop.call_soon_threadsafe(event.set)


def kick(worker_id: int) -> None:
    """Ask this process's connection of the worker (if any) to close (token revoked)."""
    with _lock:
        _kicked.add(worker_id)
    nudge(worker_id)


def take_kick(worker_id: int) -> bool:
    with _lock:
        if worker_id in _kicked:
            _kicked.discard(worker_id)
            return True
    return False


def connected_here() -> list[int]:
    with _lock:
        return list(_connections)
