from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from octopus.accounts import lockout  # noqa: F401 - connects the lockout audit signal
