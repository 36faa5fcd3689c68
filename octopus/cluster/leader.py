"""Leadership through a lease row: the holder of an unexpired lease runs the scheduler,
dispatcher and monitor. No consensus of our own: the database decides who wins."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from octopus.cluster.models import Lease

log = logging.getLogger("octopus.leader")

LEADER = "leader"


def holder_id(port: int | None = None) -> str:
    """Who holds the lease. With the port the server listens on, the id is stable across a
    restart (only one process can listen there), so a restarted leader takes its lease back
    at once instead of waiting for it to expire."""
    if port:
        return f"{socket.gethostname()}:{port}"
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(name: str, holder: str, ttl: float, now: datetime) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl."""
    expires = now + timedelta(seconds=ttl)
    renewed = Lease.objects.filter(name=name, holder=holder).update(
        expires_at=expires
    ) or Lease.objects.filter(name=name, expires_at__lt=now).update(
        holder=holder, expires_at=expires, acquired_at=now
    )
    if renewed:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=expires, acquired_at=now)
    except IntegrityError:
        return False  # someone else holds it
    return True


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()


class Leadership(threading.Thread):
    """Keeps trying to hold the leader lease; `is_leader` says whether we hold it now."""

    def __init__(self, ttl: float, stop: threading.Event, holder: str | None = None) -> None:
        super().__init__(name="leader-lease", daemon=True)
        self.ttl = ttl
        self.stop = stop
        self.holder = holder or holder_id()
        self.is_leader = False
        self.leader_since: datetime | None = None
        self.became_leader = threading.Event()

    def renew(self) -> None:
        try:
            held = try_acquire(LEADER, self.holder, self.ttl, timezone.now())
        except Exception:
            log.exception("could not renew the leader lease")
            close_old_connections()
            held = False
        if held != self.is_leader:
            log.info("%s leadership (%s)", "took" if held else "lost", self.holder)
            self.leader_since = timezone.now() if held else None
        self.is_leader = held
        if held:
            self.became_leader.set()

    def run(self) -> None:
        while not self.stop.is_set():
            self.renew()
            self.stop.wait(self.ttl / 3)
        if self.is_leader:
            self.is_leader = False
            try:
                release(LEADER, self.holder)  # a clean stop hands over at once
            except Exception:
                log.exception("could not release the leader lease")
