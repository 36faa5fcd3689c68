from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", pgettext_lazy("run trigger", "Schedule")
    MANUAL = "manual", _("Manual")
    RETRY = "retry", _("Retry")
    API = "api", _("API")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DISPATCHED = "dispatched", _("Dispatched")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")
    HUNG = "hung", _("Hung")
    LOST = "lost", _("Lost")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Skipped")


ACTIVE_STATES = (RunState.QUEUED, RunState.DISPATCHED, RunState.RUNNING)
FINAL_STATES = tuple(s for s in RunState if s not in ACTIVE_STATES)
FAILURE_STATES = (
    RunState.FAILED,
    RunState.TIMED_OUT,
    RunState.HUNG,
    RunState.LOST,
)


class Run(models.Model):
    job = models.ForeignKey("jobs.Job", models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # Set for scheduled firings only: (job, scheduled_for, fanout_key) is unique, so a
    # firing is queued once whoever computes it. NULL never collides.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # "" normally; the worker name for a broadcast firing's per-worker runs.
    fanout_key = models.CharField(max_length=100, default="", blank=True)
    attempt = models.PositiveIntegerField(default=1)
    retry_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    args = models.JSONField(default=list, blank=True)
    # NULL: take the job's cursor when the run is dispatched (so a retry resumes from the
    # last checkpoint); set: a temporary cursor given with a manual run.
    cursor_start = models.TextField(null=True, blank=True)
    command = models.TextField(blank=True)  # as rendered for the worker
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    worker = models.ForeignKey(
        "workers.Worker", models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    pid = models.IntegerField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=RunState.choices, default=RunState.QUEUED, db_index=True
    )
    exit_code = models.IntegerField(null=True, blank=True)
    signal = models.IntegerField(null=True, blank=True)
    # Why it ended this way (or why it is still waiting): "exit code 3", "hung: ...".
    reason = models.CharField(max_length=500, blank=True)
    # Why it exists, when not obvious: "catch-up run for a missed firing", "attempt 2 of 3".
    note = models.CharField(max_length=200, blank=True)

    # A queued run is not handed out before this (retry backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_output_at = models.DateTimeField(null=True, blank=True)

    # Set by the dispatcher while no online worker may take this queued run; the alert
    # rules raise once per run after a grace period (alerts/rules.py).
    no_worker_since = models.DateTimeField(null=True, blank=True)
    no_worker_alerted = models.BooleanField(default=False)

    log_lines = models.PositiveIntegerField(default=0)
    saw_end_marker = models.BooleanField(default=False)

    # Set when someone asks to cancel an in-flight run: the worker's connection sends it a
    # cancel; the run ends when the worker reports back.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "scheduled_for", "fanout_key"], name="run_firing_once"
            )
        ]
        indexes = [
            # The dispatcher and the agent link look for active runs per worker.
            models.Index(fields=["worker", "state"]),
            models.Index(fields=["job", "state"]),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.job_id} ({self.state})"

    @staticmethod
    def ahead_of_their_second(now: datetime) -> Q:
        """Firings the scheduler queued ahead whose second has not come: nothing may
        happen to them yet, so no rule counts them as active (runs/scheduler.py)."""
        return Q(trigger=Trigger.SCHEDULE, state=RunState.QUEUED, not_before__gt=now)

    @property
    def is_upcoming(self) -> bool:
        """A firing queued ahead whose second has not come (shown as upcoming)."""
        return (
            self.trigger == Trigger.SCHEDULE
            and self.state == RunState.QUEUED
            and self.not_before is not None
            and self.not_before > timezone.now()
        )

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
