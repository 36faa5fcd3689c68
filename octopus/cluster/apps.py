from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.cluster"
    label = "cluster"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from octopus.cluster import notify, wakeups

        # Another replica queued a run or freed a slot: this one's dispatcher looks.
        notify.subscribe(notify.DISPATCH, lambda _id: wakeups.dispatcher.set())
