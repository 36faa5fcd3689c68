"""Apply what agents report (runs started, output, runs finished), idempotently.

The worker connections of a process hand their messages to one inbox (octopus/link/inbox.py),
which calls `apply_spooled_batches` in a thread; tests call these directly.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from octopus.cluster.wakeups import wake_dispatcher
from octopus.logs.ingest import store_blocks, store_lines
from octopus.runs import lifecycle
from octopus.runs.models import Run
from octopus.workers.models import Worker
from octopus_agent import protocol

log = logging.getLogger("octopus.workers")



def apply_spooled(worker: Worker, message: dict[str, Any]) -> list[int]:
    """Apply one spooled message idempotently (inside the caller's transaction). Return
    runs the worker must abandon."""
    return _apply([(worker, [message])])[0]


def _apply(batches: list[tuple[Worker, list[dict[str, Any]]]]) -> list[list[int]]:
    """Apply the messages of one or more workers idempotently (inside the caller's
    transaction), set-based: the starts with one UPDATE per worker, then the log lines run
    by run, then every final report together. Each run's own messages keep their order
    (started, lines, finished), which is all that orders them: different runs do not
    depend on each other. Return, per batch, the runs its worker must abandon."""
    starts: dict[int, dict[int, tuple[int, datetime]]] = {}
    logs: list[tuple[Worker, list[dict[str, Any]]]] = []
    finishes: list[tuple[int, int, dict[str, Any]]] = []
    for worker, messages in batches:
        worker_starts = starts.setdefault(worker.id, {})
        worker_logs: list[dict[str, Any]] = []
        for message in messages:
            kind = message["type"]
            run_id = int(message["run_id"])
            if kind == protocol.RUN_STARTED:
                started_at = datetime.fromtimestamp(float(message["started_at"]), UTC)
                worker_starts[run_id] = (int(message["pid"]), started_at)
            elif kind == protocol.LOG:
                worker_logs.append(message)
            elif kind == protocol.RUN_FINISHED:
                finishes.append((run_id, worker.id, message))
            else:
                raise ValueError(f"not a spooled message type: {kind!r}")
        logs.append((worker, worker_logs))
    # A run whose end is in this batch has no process left to kill (a batch sent again
    # after a lost ack starts runs that have long ended).
    ended = {(run_id, worker_id) for run_id, worker_id, _ in finishes}
    abandon = {
        worker_id: [
            run_id
            for run_id in lifecycle.mark_started_many(worker_id, runs)
            if (run_id, worker_id) not in ended
        ]
        for worker_id, runs in starts.items()
    }
    for worker, worker_logs in logs:
        for message in _merge_log_messages(worker_logs):
            # get(), not first(): no ORDER BY to compile, on the hot path of every log batch.
            try:
                run = Run.objects.get(id=int(message["run_id"]), worker=worker)
            except Run.DoesNotExist:
                continue
            # An agent older than blocks sends lines; one that outlived its server's
            # upgrade may have both spooled for a run (lines first, being older).
            store_lines(run, message.get("lines") or [])
            store_blocks(run, message.get("blocks") or [])
    lifecycle.finish_runs(finishes)
    return [abandon[worker.id] for worker, _ in batches]


def apply_spooled_batches(batches: list[tuple[Worker, list[dict[str, Any]]]]) -> list[list[int]]:
    """Apply the messages of several workers (each batch in order) in one transaction;
    return, per batch, the runs its worker must abandon.

    A message that cannot be applied (malformed, or a bug) must not block the rest forever:
    the batches are then applied one message at a time and the bad one is logged and
    skipped (and acknowledged, or the agent would send it again and again)."""
    try:
        with transaction.atomic():
            abandon = _apply(batches)
    except Exception:
        log.exception(
            "a batch of %d worker(s) failed; applying it message by message", len(batches)
        )
        abandon = [_apply_one_by_one(worker, messages) for worker, messages in batches]
    if any(m.get("type") == protocol.RUN_FINISHED for _, messages in batches for m in messages):
        wake_dispatcher()  # slots are free: queued runs of those jobs may go
    return abandon


def _apply_one_by_one(worker: Worker, messages: list[dict[str, Any]]) -> list[int]:
    abandon = []
    for message in messages:
        try:
            with transaction.atomic():
                abandon += apply_spooled(worker, message)
        except Exception:
            log.exception("worker %s: skipping message %s", worker.name, message.get("id"))
    return abandon


def _merge_log_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run's log messages as one, lines and blocks in the order they came: stored in
    one go, with one set of queries (applied in one transaction and acknowledged
    together)."""
    merged: list[dict[str, Any]] = []
    by_run: dict[Any, dict[str, Any]] = {}
    for message in messages:
        parts = {key: message[key] for key in ("lines", "blocks") if key in message}
        if not parts or not all(isinstance(part, list) for part in parts.values()):
            merged.append(message)  # malformed: left for the store to refuse
            continue
        same_run = by_run.get(message.get("run_id"))
        if same_run is None:
            # A copy: the caller's message stays as it came, for the one-by-one fallback.
            same_run = by_run[message.get("run_id")] = {**message, "lines": [], "blocks": []}
            merged.append(same_run)
        for key, part in parts.items():
            same_run[key].extend(part)
    return merged


