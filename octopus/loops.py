"""The background loops of a server process, each a thread around one unit of work.

A unit does some work and returns how much; the loop runs it again at once while it finds
work and otherwise sleeps until its next tick or until it is woken. Loops run only while
this process holds the leader lease. One bad unit never stops a loop: the error is logged
and the loop goes on after its interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from octopus.alerts import outbox, sender
from octopus.cluster import wakeups
from octopus.cluster.leader import Leadership
from octopus.logs import retention
from octopus.runs import dispatch, monitor, scheduler

log = logging.getLogger("octopus.loops")


class Loop(threading.Thread):
    def __init__(
        self,
        name: str,
        unit: Callable[[], int],
        leadership: Leadership,
        stop: threading.Event,
        interval: Callable[[], float] | float,
        wake: threading.Event | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.unit = unit
        self.leadership = leadership
        self.stop_event = stop
        self.interval = interval
        self.wake = wake or threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            found = 0
            if self.leadership.is_leader:
                try:
                    found = self.unit()
                except Exception:
                    log.exception("%s failed; trying again later", self.name)
                    close_old_connections()
            if found:
                continue
            try:
                delay = self.interval() if callable(self.interval) else self.interval
            except Exception:
                log.exception("%s could not compute its next tick", self.name)
                close_old_connections()
                delay = 1.0
            if self.wake.wait(delay):
                self.wake.clear()
        self.wake.set()


def _fire() -> int:
    queued = scheduler.fire_due_jobs(timezone.now())
    if queued:
        wakeups.wake_dispatcher()
    ahead = scheduler.queue_ahead(timezone.now())
    for firing, _ in ahead:
        wakeups.dispatch_at(firing)
    return queued + sum(count for _, count in ahead)


def _next_firing() -> float:
    return scheduler.seconds_until_next_tick(timezone.now(), cap=1.0)


def _monitor(leadership: Leadership) -> int:
    now = timezone.now()
    found = retention.purge_expired_lines(now) and 1
    # Silence is judged only over time we watched: after a restart or a takeover, workers
    # get one full timeout to reconnect before any is declared offline.
    since = leadership.leader_since
    if since and (now - since).total_seconds() >= settings.WORKER_TIMEOUT:
        found += monitor.mark_silent_workers_offline(now)
    return found


_NOT_YET = object()


class _Dispatch:
    """The dispatcher's unit: hand out queued runs, pacing itself under load.

    After a full batch it goes again at once (more runs may be ready). After a partial one
    everything that could go went; what frees a slot or queues a run (a run ending, a new
    run, a worker coming) wakes it again, and under load that is every few milliseconds.
    A pass costs the same fixed handful of queries for one run as for fifty, so the next
    pass waits until GATHER has passed since this one: the ends arriving meanwhile are
    handed out together, and the passes leave the process time to apply those ends. A
    wake-up after a quiet spell (a run-now click, a firing) is served at once.

    One pass at a time: the loop's and those run inline by a request (try_now)."""

    GATHER = 0.02  # seconds

    def __init__(self, leadership: Leadership) -> None:
        self.leadership = leadership
        self.one_pass = threading.Lock()
        self.busy_until = 0.0  # monotonic time before which a partial pass waits
        # The leadership (its leader_since) for which the due moments were last read.
        self.knows_due_moments_since: object = _NOT_YET

    def __call__(self) -> int:
        if self.knows_due_moments_since != self.leadership.leader_since:
            # Leading anew (a start, a takeover): the runs queued ahead by whoever led
            # before become due at moments this process was not told of.
            self.knows_due_moments_since = self.leadership.leader_since
            for moment in dispatch.moments_runs_become_due(timezone.now()):
                wakeups.dispatch_at(moment)
        pause = self.busy_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        with self.one_pass:
            handed = dispatch.assign_queued_runs()
        if handed >= dispatch.BATCH:
            self.busy_until = 0.0
            return handed
        self.busy_until = time.monotonic() + self.GATHER if handed else 0.0
        return 0

    def try_now(self) -> bool:
        """A pass in the calling thread, if this process dispatches and none is running
        (that one, or the next it is woken for, will take the new run)."""
        if not self.leadership.is_leader or not self.one_pass.acquire(blocking=False):
            return False
        try:
            handed = dispatch.assign_queued_runs()
        except Exception:
            log.exception("an inline dispatcher pass failed; the dispatcher will retry")
            close_old_connections()
            return False
        finally:
            self.one_pass.release()
        return handed < dispatch.BATCH  # else more may wait: the loop goes on


class Loops:
    """Leadership plus the scheduler, dispatcher and monitor loops."""

    def __init__(self, holder: str | None = None) -> None:
        self.stop_event = threading.Event()
        self.leadership = Leadership(settings.LEADER_LEASE_SECONDS, self.stop_event, holder)
        self.dispatch = _Dispatch(self.leadership)
        self.threads = [
            self.leadership,
            Loop(
                "scheduler",
                _fire,
                self.leadership,
                self.stop_event,
                _next_firing,
                wakeups.scheduler,
            ),
            Loop(
                "dispatcher",
                self.dispatch,
                self.leadership,
                self.stop_event,
                lambda: wakeups.seconds_until_due(cap=0.5),
                wakeups.dispatcher,
            ),
            Loop(
                "monitor",
                lambda: _monitor(self.leadership),
                self.leadership,
                self.stop_event,
                1.0,
            ),
            Loop(
                "alert-sender",
                sender.run_once,
                self.leadership,
                self.stop_event,
                1.0,
                outbox.wakeup,
            ),
        ]

        # OCTOPUS_LOOPS=scheduler runs only the named loops (benchmarks, debugging).
        if settings.ENABLED_LOOPS:
            self.threads = [self.leadership] + [
                t for t in self.threads[1:] if t.name in settings.ENABLED_LOOPS
            ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
            if thread is not self.leadership:
                log.info("%s loop running in thread %s", thread.name, thread.native_id)
        if any(thread.name == "dispatcher" for thread in self.threads):
            wakeups.inline_dispatch = self.dispatch.try_now

    def stop(self) -> None:
        if wakeups.inline_dispatch == self.dispatch.try_now:
            wakeups.inline_dispatch = None
        self.stop_event.set()
        wakeups.wake_scheduler()
        wakeups.wake_dispatcher()
        outbox.wakeup.set()
        for thread in self.threads:
            thread.join(timeout=10)
