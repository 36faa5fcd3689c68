"""Wake-ups between server replicas.

On PostgreSQL every replica LISTENs on one channel and a change is announced with NOTIFY
(delivered at commit, so nobody wakes up before the row is visible). Elsewhere (SQLite,
MySQL/MariaDB) there is nothing to listen to: announcements reach this process only and the
other replicas find the work on their next poll (every second or less).

An announcement is a small JSON payload {"kind": ..., "id": ...}; subscribers of that kind in
every replica are called with the id. Payloads never carry data: the database does. This
module knows none of its subscribers: each subscribes itself in its AppConfig.ready()
(the dispatcher's wake-up, the worker hub, live log viewers).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

from django.db import connection

from octopus.cluster import sql

log = logging.getLogger("octopus.notify")

CHANNEL = "octopus"
DISPATCH = "dispatch"  # a run was queued or a slot freed: the leader's dispatcher looks
WORKER = "worker"  # runs were handed to worker `id`: its connection looks in the database
RUN_LOG = "run_log"  # run `id` has new log lines or a new state: live viewers look

_subscribers: dict[str, list[Callable[[int | None], None]]] = defaultdict(list)
_lock = threading.Lock()


def subscribe(kind: str, callback: Callable[[int | None], None]) -> None:
    with _lock:
        _subscribers[kind].append(callback)


def _deliver(kind: str, ident: int | None) -> None:
    with _lock:
        callbacks = list(_subscribers.get(kind, ()))
    for callback in callbacks:
        try:
            callback(ident)
        except Exception:
            log.exception("a %s subscriber failed", kind)


def announce(kind: str, ident: int | None = None) -> None:
    """Tell every replica (this one included) that something of `kind` happened."""
    if connection.vendor == "postgresql" and Listener.running:
        # The listener of this process hears it too, like every other replica.
        sql.pg_notify(CHANNEL, json.dumps({"kind": kind, "id": ident}))
    else:
        _deliver(kind, ident)


def announce_elsewhere(kind: str, ident: int | None = None) -> None:
    """Tell the other replicas only (this process already acted); PostgreSQL only."""
    if connection.vendor == "postgresql" and Listener.running:
        announce(kind, ident)


class Listener(threading.Thread):
    """LISTEN on PostgreSQL and hand notifications to subscribers (one per process)."""

    running = False

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(name="pg-listener", daemon=True)
        self.stop_event = stop

    @classmethod
    def start_if_postgresql(cls, stop: threading.Event) -> Listener | None:
        if connection.vendor != "postgresql":
            return None
        listener = cls(stop)
        listener.start()
        return listener

    def run(self) -> None:
        import psycopg

        settings = connection.settings_dict
        while not self.stop_event.is_set():
            try:
                with psycopg.connect(
                    host=settings["HOST"] or None,
                    port=settings["PORT"] or None,
                    user=settings["USER"] or None,
                    password=settings["PASSWORD"] or None,
                    dbname=settings["NAME"],
                    autocommit=True,
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    Listener.running = True
                    while not self.stop_event.is_set():
                        for note in conn.notifies(timeout=0.5):
                            payload = json.loads(note.payload)
                            _deliver(payload["kind"], payload.get("id"))
            except Exception:
                # Until it is back, announcements stay local and replicas poll.
                Listener.running = False
                log.exception("lost the PostgreSQL listener; reconnecting")
                self.stop_event.wait(1)
        Listener.running = False
