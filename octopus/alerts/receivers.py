"""What alerts react to: the domain's announcements (octopus/events.py) mapped onto the
rules, connected in octopus/alerts/apps.py.

The in-transaction events reach the rules inside the transaction of the change, so an
alert and its outbox rows commit (or roll back) with the change itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from octopus import events
from octopus.alerts import rules
from octopus.jobs.models import Job
from octopus.runs.models import Run
from octopus.workers.models import Worker


def on_runs_ended(runs: list[Run], **_: Any) -> None:
    rules.runs_ended(runs)


def on_firings_missed(job: Job, missed: list[datetime], **_: Any) -> None:
    rules.schedule_missed(job, missed)


def on_run_waiting_for_worker(run: Run, now: datetime, **_: Any) -> None:
    rules.run_waiting_for_worker(run, now)


def on_runs_handed_over(handed: list[tuple[Worker, Run]], **_: Any) -> None:
    for _worker, run in handed:
        if run.no_worker_alerted:
            rules.worker_found(run)


def on_worker_online(worker: Worker, **_: Any) -> None:
    rules.worker_came_back(worker)


def on_worker_offline(worker: Worker, silence: int, lost_runs: int, **_: Any) -> None:
    rules.worker_went_offline(worker, silence, lost_runs)


def on_log_lines_stored(run: Run, blocks: list[tuple[int, int, float, str, str]], **_: Any) -> None:
    rules.log_lines_stored(run, blocks)


def connect() -> None:
    for signal, receiver in (
        (events.runs_ended, on_runs_ended),
        (events.firings_missed, on_firings_missed),
        (events.run_waiting_for_worker, on_run_waiting_for_worker),
        (events.runs_handed_over, on_runs_handed_over),
        (events.worker_online, on_worker_online),
        (events.worker_offline, on_worker_offline),
        (events.log_lines_stored, on_log_lines_stored),
    ):
        signal.connect(receiver, dispatch_uid=f"alerts.{receiver.__name__}")
