"""The server side of the worker protocol, as plain synchronous functions.

The WebSocket consumer calls these in a thread; tests can call them directly.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from octopus.alerts import rules as alert_rules
from octopus.cluster.wakeups import wake_dispatcher
from octopus.logs import live
from octopus.logs.ingest import store_lines
from octopus.runs import lifecycle
from octopus.runs.command import run_spec
from octopus.runs.models import ACTIVE_STATES, Run, RunState
from octopus.workers.models import Worker, WorkerState
from octopus_agent import protocol

log = logging.getLogger("octopus.workers")

IN_FLIGHT = (RunState.DISPATCHED, RunState.RUNNING)


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
    alert_rules.worker_came_back(worker)
    wake_dispatcher()
    return now


def worker_disconnected(worker: Worker, stamp: datetime) -> None:
    # Only if no newer connection of the same worker took over meanwhile.
    Worker.objects.filter(pk=worker.pk, connected_at=stamp).update(connected_at=None)


def runs_to_abandon(worker: Worker, running: list[int]) -> list[int]:
    """Runs the worker says it is running that are no longer its own (given away or
    ended while it was out of touch): it must kill them."""
    if not running:
        return []
    still_ours = set(
        Run.objects.filter(id__in=running, worker=worker, state__in=IN_FLIGHT).values_list(
            "id", flat=True
        )
    )
    return [run_id for run_id in running if run_id not in still_ours]


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
        alert_rules.worker_came_back(worker)
    return bool(updated)


def pending_runs(worker: Worker, exclude: set[int]) -> list[protocol.RunSpec]:
    """Runs handed to this worker and not yet started, as specs to send."""
    runs = (
        Run.objects.filter(worker=worker, state=RunState.DISPATCHED)
        .exclude(id__in=exclude)
        .select_related("job")
        .order_by("id")
    )
    return [run_spec(run) for run in runs]


def runs_to_cancel(worker: Worker, exclude: set[int]) -> list[tuple[int, str]]:
    """In-flight runs of this worker someone asked to cancel: (run id, reason) to send."""
    runs = (
        Run.objects.filter(worker=worker, state__in=IN_FLIGHT, cancel_requested_at__isnull=False)
        .exclude(id__in=exclude)
        .order_by("id")
    )
    return [(run.id, run.reason or "cancelled") for run in runs]


def apply_spooled(worker: Worker, message: dict[str, Any]) -> list[int]:
    """Apply one spooled message idempotently (inside the caller's transaction). Return
    runs the worker must abandon."""
    kind = message["type"]
    run_id = int(message["run_id"])
    if kind == protocol.LOG:
        # get(), not first(): no ORDER BY to compile, on the hot path of every log batch.
        try:
            run = Run.objects.get(id=run_id, worker=worker)
        except Run.DoesNotExist:
            return []
        store_lines(run, message["lines"])
        return []
    if kind == protocol.RUN_STARTED:
        started_at = datetime.fromtimestamp(float(message["started_at"]), UTC)
        if not lifecycle.mark_started(run_id, worker.id, int(message["pid"]), started_at):
            return [run_id]
        transaction.on_commit(partial(live.run_changed, run_id))  # its live viewers
        return []
    if kind == protocol.RUN_FINISHED:
        lifecycle.finish_run(run_id, worker.id, message)
        transaction.on_commit(partial(live.run_changed, run_id))
        return []
    raise ValueError(f"not a spooled message type: {kind!r}")


def apply_spooled_batch(worker: Worker, messages: list[dict[str, Any]]) -> list[int]:
    """Apply messages in order in one transaction; return runs the worker must abandon.

    A message that cannot be applied (malformed, or a bug) must not block the rest forever:
    the batch is then applied one message at a time and the bad one is logged and skipped
    (and acknowledged, or the agent would send it again and again)."""
    try:
        with transaction.atomic():
            merged = _merge_log_messages(messages)
            abandon = [run_id for m in merged for run_id in apply_spooled(worker, m)]
    except Exception:
        log.exception("worker %s: a batch failed; applying it message by message", worker.name)
        abandon = []
        for message in messages:
            try:
                with transaction.atomic():
                    abandon += apply_spooled(worker, message)
            except Exception:
                log.exception("worker %s: skipping message %s", worker.name, message.get("id"))
    if any(m.get("type") == protocol.RUN_FINISHED for m in messages):
        wake_dispatcher()  # slots are free: queued runs of those jobs may go
    return abandon


def _merge_log_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive log messages of one run as one: stored in one go, with one set of
    queries (applied in one transaction and acknowledged together, nothing else changes)."""
    merged: list[dict[str, Any]] = []
    for message in messages:
        last = merged[-1] if merged else None
        if (
            last is not None
            and message.get("type") == protocol.LOG == last.get("type")
            and message.get("run_id") == last.get("run_id")
            and isinstance(message.get("lines"), list)
        ):
            last["lines"].extend(message["lines"])
        else:
            # A copy: the caller's message stays as it came, for the one-by-one fallback.
            is_log = message.get("type") == protocol.LOG and isinstance(message.get("lines"), list)
            merged.append({**message, "lines": list(message["lines"])} if is_log else message)
    return merged


def active_run_count(worker: Worker) -> int:
    return Run.objects.filter(worker=worker, state__in=ACTIVE_STATES).count()
