from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.logs"
    label = "logs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from octopus import events
        from octopus.cluster import notify
        from octopus.logs import live

        events.run_changed.connect(live.on_run_changed, dispatch_uid="logs.live")
        notify.subscribe(notify.RUN_LOG, live.on_announcement)
