from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from octopus.alerts import receivers

        receivers.connect()
