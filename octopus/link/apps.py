from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    """The worker link: no models, only the reactions of this process's connections."""

    name = "octopus.link"
    label = "link"

    def ready(self) -> None:
        from octopus import events
        from octopus.cluster import notify
        from octopus.link import hub

        events.runs_handed_over.connect(hub.on_runs_handed_over, dispatch_uid="link.handed")
        events.cancel_requested.connect(hub.on_cancel_requested, dispatch_uid="link.cancel")
        events.worker_revoked.connect(hub.on_worker_revoked, dispatch_uid="link.revoked")
        notify.subscribe(notify.WORKER, hub.on_announcement)
