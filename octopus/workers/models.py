from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough: there is nothing to
    # brute-force, and lookups by hash stay one indexed query.
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(token_hash: str) -> str:
    """What the audit trail shows of a token: enough to tell two apart, nothing to use."""
    return token_hash[:12] if token_hash else "none"


class WorkerState(models.TextChoices):
    ONLINE = "online", _("Online")
    DRAINING = "draining", _("Draining")
    OFFLINE = "offline", _("Offline")


class Worker(models.Model):
    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=WorkerState.choices, default="offline")
    version = models.CharField(max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    # Load as last reported: cpu %, memory %, load average, runs in progress.
    load = models.JSONField(default=dict, blank=True)
    running_count = models.IntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True, db_index=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_labels(self, wanted: list[str]) -> bool:
        return set(wanted) <= set(self.labels)


class EnrollmentToken(models.Model):
    """A short-lived secret an admin hands to a new machine; the worker trades it for its
    own token at enrollment. Only the hash is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # shown in the UI to tell tokens apart
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "auth.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    uses_left = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Empty: enrolls new workers only. A name: an admin's deliberate re-enrollment of that
    # existing worker (a reinstalled machine, a lost token), and nothing else.
    reenroll_worker = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.uses_left} use(s) left)"
