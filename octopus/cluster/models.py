from __future__ import annotations

from django.db import models


class Lease(models.Model):
    """A named lease (e.g. "leader"): whoever holds an unexpired row runs that role."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    acquired_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at}"
