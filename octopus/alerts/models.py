from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from octopus.alerts.transports import Transport, transport_class


class AlertKind(models.TextChoices):
    RUN_FAILED = "run_failed", _("Run failed")
    MISSED_SCHEDULE = "missed_schedule", _("Missed schedule")
    NO_WORKER = "no_worker", _("No eligible worker")
    WORKER_OFFLINE = "worker_offline", _("Worker offline")
    LOG_LEVEL = "log_level", _("Alarm-level log line")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


UNRESOLVED = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


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
    # Set (kind + job or worker) only while this alert may absorb new occurrences; unique,
    # so two processes raising the same alert at once cannot both open one.
    merge_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # Notification rounds queued so far, and how much of `count` they covered: the sender
    # loop sends a summary when count > notified_upto and the summary interval has passed.
    notified_count = models.PositiveIntegerField(default=0)
    notified_upto = models.PositiveIntegerField(default=0)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["job", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title} (x{self.count})"

    @property
    def subject(self) -> str:
        if self.job is not None:
            return self.job.name
        if self.worker is not None:
            return f"worker {self.worker.name}"
        return "Octopus"

    @property
    def unnotified(self) -> int:
        return max(0, self.count - self.notified_upto)

    @property
    def next_summary_at(self) -> datetime | None:
        """When the occurrences not yet notified go out as a summary (None: nothing to
        send, or acknowledged/resolved, which send no summaries)."""
        if self.state != AlertState.OPEN or self.count <= self.notified_upto:
            return None
        if self.last_notified_at is None:
            return None
        return self.last_notified_at + timedelta(seconds=settings.ALERT_SUMMARY_INTERVAL)

    def to_dict(self) -> dict[str, Any]:
        """The alert as plain data: the payload of notifications and the audit trail."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "state": self.state,
            "title": self.title,
            "detail": self.detail,
            "count": self.count,
            "job": self.job.name if self.job is not None else None,
            "worker": self.worker.name if self.worker is not None else None,
            "run": self.last_run_id,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    FEISHU = "feishu", _("Feishu / Lark")
    SLACK = "slack", _("Slack")


class Channel(models.Model):
    """Where notifications go. `config` holds the transport's settings, secrets included:
    they never go back to a browser or into the audit trail (see public_config)."""

    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100, unique=True)
    config = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    # Default channels get the alerts of jobs without their own routing, and worker alerts.
    is_default = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def transport(self) -> Transport:
        return transport_class(self.kind)(self.config)

    def public_config(self) -> dict[str, Any]:
        """The config with every secret replaced by a mark that says whether it is set."""
        transport = transport_class(self.kind)
        return {
            k: transport.masked(k, v) if k in transport.secret_fields else v
            for k, v in self.config.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "enabled": self.enabled,
            "is_default": self.is_default,
            "config": self.public_config(),
        }


class DeliveryEvent(models.TextChoices):
    OPENED = "opened", _("New alert")
    SUMMARY = "summary", _("Summary")
    RECOVERY = "recovery", _("Recovery")
    TEST = "test", _("Test")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one channel or person: the outbox. Written in the same transaction
    as the alert change it reports, sent later by the sender loop."""

    alert = models.ForeignKey(
        Alert, models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # A channel, or a person's own e-mail address (per-job routing to users).
    channel = models.ForeignKey(
        Channel, models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.CharField(max_length=254, blank=True)
    event = models.CharField(max_length=10, choices=DeliveryEvent.choices)
    payload = models.JSONField()  # the Message, fixed when the event happened
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField()
    # A claimed delivery whose sender died is taken again after this.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        # Used by the sender loop to find due deliveries.
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.status})"

    @property
    def recipient(self) -> str:
        if self.channel is not None:
            return self.channel.name
        return self.address
