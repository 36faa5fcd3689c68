"""A worker's presence: connected, alive (heartbeats), gone.

The worker link calls these for every connection; the monitor declares silent workers
offline (octopus/runs/monitor.py). A worker coming (back) online is announced
(`events.worker_online`) and wakes the dispatcher: queued runs may now have a worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from octopus import events
from octopus.cluster.wakeups import wake_dispatcher
from octopus.workers.models import Worker, WorkerState


def worker_connected(worker: Worker, hello: dict[str, Any]) -> datetime:
    """Record the hello; return the connection's stamp (compared on disconnect)."""
    now = timezone.now()
    Worker.objects.filter(pk=worker.pk).update(
        hostname=str(hello.get("hostname", ""))[:255],
        labels=[str(label)[:64] for label in hello.get("labels", [])][:100],
        version=str(hello.get("version", ""))[:32],
        state=WorkerState.DRAINING if hello.get("draining") else WorkerState.ONLINE,
        last_seen=now,
        connected_at=now,
    )
    events.send(events.worker_online, worker=worker)
    wake_dispatcher()
    return now


def worker_disconnected(worker: Worker, stamp: datetime) -> None:
    # Only if no newer connection of the same worker took over meanwhile.
    Worker.objects.filter(pk=worker.pk, connected_at=stamp).update(connected_at=None)



def heartbeat(worker: Worker, message: dict[str, Any], stamp: datetime | None = None) -> bool:
    """Record load and liveness; False when the worker's token was revoked meanwhile.

    `stamp` is the connection's: a worker the monitor declared offline while its connection
    stayed open (a paused process, a stalled network) is routable again once it speaks."""
    load = message.get("load") or {}
    state = WorkerState.DRAINING if message.get("draining") else WorkerState.ONLINE
    mine = Worker.objects.filter(pk=worker.pk).exclude(token_hash="")
    came_back = mine.filter(state=WorkerState.OFFLINE).exists()
    updated = mine.update(
        last_seen=timezone.now(),
        load={k: load[k] for k in ("cpu", "memory", "load1", "running", "spooled") if k in load},
        running_count=int(load.get("running", 0)),
        state=state,
        **({"connected_at": stamp} if stamp else {}),
    )
    if updated and came_back:
        events.send(events.worker_online, worker=worker)
    return bool(updated)
