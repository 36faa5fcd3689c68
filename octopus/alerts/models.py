from __future__ import annotations

from django.conf import settings
from django.db import models


class AlertKind(models.TextChoices):
    RUN_FAILED = "run_failed", "Run failed"
    MISSED_SCHEDULE = "missed_schedule", "Missed schedule"
    NO_WORKER = "no_worker", "No eligible worker"
    WORKER_OFFLINE = "worker_offline", "Worker offline"
    LOG_LEVEL = "log_level", "Alarm-level log line"


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """Neighbouring alerts of one job and kind merge into one row with a count."""

    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    state = models.CharField(
        max_length=14, choices=AlertState.choices, default=AlertState.OPEN, db_index=True
    )
    job = models.ForeignKey("jobs.Job", models.CASCADE, null=True, blank=True)
    worker = models.ForeignKey("workers.Worker", models.SET_NULL, null=True, blank=True)
    last_run = models.ForeignKey("runs.Run", models.SET_NULL, null=True, blank=True)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    notified_count = models.PositiveIntegerField(default=0)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["job", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title} (x{self.count})"
