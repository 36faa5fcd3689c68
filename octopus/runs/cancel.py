"""Cancel a run from the UI (stand-in until runs.lifecycle.request_cancel lands on main).

A queued run ends cancelled at once. An in-flight run is ended cancelled in the database;
its worker's next heartbeat lists a run that is no longer its own, and the server tells it
to kill that run (workers/consumers.py, runs_to_abandon), within one heartbeat interval.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from octopus.runs.lifecycle import end_in_flight_run
from octopus.runs.models import ACTIVE_STATES, Run, RunState


class RunAlreadyEnded(Exception):
    """The run has already ended; there is nothing to cancel."""


def request_cancel(run: Run, by: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return "cancelled" (queued: ended at once) or "requested" (in flight: its worker is
    told to stop it). Raise RunAlreadyEnded when it ended meanwhile."""
    who = by.get_username() if by is not None and by.is_authenticated else "someone"
    was_queued = run.state == RunState.QUEUED
    reason = f"cancelled by {who}" + (" before it started" if was_queued else "")
    if run.state not in ACTIVE_STATES or not end_in_flight_run(run, RunState.CANCELLED, reason):
        run.refresh_from_db()
        raise RunAlreadyEnded(f"run {run.id} already ended ({run.state})")
    return "cancelled" if was_queued else "requested"
