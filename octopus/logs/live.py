"""Which live-log viewers this process holds, and how to wake them.

Lines are always stored first and read back from the database by sequence number; a nudge
only says "look again". It crosses from the thread that stored the lines to the viewer's
event loop with `call_soon_threadsafe`. Viewers connected to another server process hear
of it through octopus.cluster.notify on PostgreSQL (LISTEN/NOTIFY); elsewhere they poll the
database every half second. Log data never goes through a channel layer (Channels' layers
drop messages past their capacity).

Every change of a run (a new state, new lines) reaches viewers from one place:
`on_run_changed`, connected to `events.run_changed` in octopus/logs/apps.py.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from octopus.cluster import notify
from octopus.runs.models import Run

_lock = threading.Lock()
# ("run", id) or ("job", id) → (loop, event) of each viewer watching it.
_watchers: dict[tuple[str, int], set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}


def watch(kind: str, ident: int, event: asyncio.Event) -> None:
    """Set `event` whenever the run (kind "run") or a run of the job (kind "job") has new
    lines or a new state. Call on the viewer's event loop."""
    with _lock:
        _watchers.setdefault((kind, ident), set()).add((asyncio.get_running_loop(), event))


def unwatch(kind: str, ident: int, event: asyncio.Event) -> None:
    with _lock:
        entries = _watchers.get((kind, ident))
        if entries is None:
            return
        for entry in [e for e in entries if e[1] is event]:
            entries.discard(entry)
        if not entries:
            del _watchers[(kind, ident)]


def nudge(run_id: int, job_id: int | None = None) -> None:
    """Wake this process's viewers of the run (and followers of its job); any thread."""
    with _lock:
        entries = list(_watchers.get(("run", run_id), ()))
        if job_id is not None:
            entries += _watchers.get(("job", job_id), ())
    for loop, event in entries:
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)


def on_run_changed(run_id: int, job_id: int | None = None, **_: Any) -> None:
    """A run has new lines or a new state (sent after commit): wake this process's viewers
    at once, and tell the other replicas (PostgreSQL; elsewhere their viewers poll)."""
    if job_id is None and _follows_a_job():
        job_id = Run.objects.filter(pk=run_id).values_list("job_id", flat=True).first()
    nudge(run_id, job_id)
    notify.announce_elsewhere(notify.RUN_LOG, run_id)


def on_announcement(run_id: int | None) -> None:
    """Another replica changed a run: wake its viewers here (followers of its job find it
    at their next poll; the listener thread does no database work)."""
    if run_id is not None:
        nudge(int(run_id))


def _follows_a_job() -> bool:
    """Someone here follows a job's runs (the job's live page): worth a lookup of the job."""
    with _lock:
        return any(kind == "job" for kind, _ in _watchers)


def watched() -> list[tuple[str, int]]:
    with _lock:
        return list(_watchers)
