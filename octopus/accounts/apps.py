from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
