"""What the domain announces, for whoever reacts to it.

The scheduler, dispatcher, run lifecycle, monitor, worker presence and log ingest send
these; they never call their observers. Alerts (`octopus.alerts.rules`), live viewers
(`octopus.logs.live`), the worker hub (`octopus.link.hub`) and the scheduler's own
bookkeeping connect to them in their AppConfig.ready(), so a new reaction is a new receiver,
not an edit of the domain.

Two kinds, by when they are sent:

- *In the transaction of the change* (the first group): a receiver's writes (an alert and
  its outbox rows) commit or roll back with the change itself. A receiver that raises
  aborts the change, as a direct call would.
- *After commit* (`run_changed`, `runs_handed_over`, `cancel_requested`, `worker_revoked`):
  wake-ups, which must not fire before the rows they point at are visible. They go through
  `send_after_commit`, or `send` where the sender's own transaction is already over (the
  dispatcher's hand-over, a revocation).

Receivers take keyword arguments only (Django passes `signal` and `sender` as well).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.dispatch import Signal

SENDER = "octopus"  # one sender for all: receivers filter on the arguments, not on it

# In the transaction of the change.
runs_ended = Signal()  # runs: list[Run] reached final states, in the order they ended
firings_missed = Signal()  # job: Job, missed: list[datetime] (firings the scheduler missed)
run_waiting_for_worker = Signal()  # run: Run, now: datetime (no eligible worker online)
worker_online = Signal()  # worker: Worker (connected, or spoke again after going offline)
worker_offline = Signal()  # worker: Worker, silence: int (s), lost_runs: int
log_lines_stored = Signal()  # run: Run, blocks: list of (first, last, ts, kinds, text)
job_changed = Signal()  # job: Job (created, edited, enabled or disabled)
job_deleting = Signal()  # job: Job; a receiver refuses by raising (jobs.changes.JobBusy)

# After commit.
run_changed = Signal()  # run_id: int, job_id: int | None (a new state or new lines)
runs_handed_over = Signal()  # handed: list[tuple[Worker, Run]] (dispatched to workers)
cancel_requested = Signal()  # worker_id: int (one of its runs is to be cancelled)
worker_revoked = Signal()  # worker_id: int (its token is gone: drop its connection)


def send(signal: Signal, **kwargs: object) -> None:
    """Send now, inside the caller's transaction."""
    signal.send(sender=SENDER, **kwargs)


def send_after_commit(signal: Signal, **kwargs: object) -> None:
    """Send once the caller's transaction commits (at once outside a transaction)."""
    transaction.on_commit(partial(signal.send, sender=SENDER, **kwargs))


def runs_changed(pairs: Iterable[tuple[int, int | None]]) -> None:
    """Runs (run id, job id or None) changed state or gained lines: wake their viewers
    after commit. The one call every run transition makes."""
    for run_id, job_id in pairs:
        send_after_commit(run_changed, run_id=run_id, job_id=job_id)
