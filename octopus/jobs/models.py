from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from octopus.lib.logline import LEVELS


class Routing(models.TextChoices):
    FIRST = "first", _("First available")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    RANDOM = "random", _("Random")
    BROADCAST = "broadcast", _("Broadcast (one run per worker)")


class Concurrency(models.TextChoices):
    ALLOW = "allow", _("Allow (up to max parallel)")
    SKIP = "skip", _("Skip a firing while one runs")
    QUEUE = "queue", _("Queue behind the running one")


class Backoff(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    EXPONENTIAL = "exponential", _("Exponential")


class Misfire(models.TextChoices):
    RUN_ONCE = "run_once", _("Run once")
    SKIP = "skip", _("Skip")


class Job(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)

    # `{cursor}` and `{args}` are replaced, shell-quoted, when a run starts.
    command = models.TextField()
    default_args = models.JSONField(default=list, blank=True)

    # Empty schedule: manual runs only.
    schedule = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    enabled = models.BooleanField(default=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    group = models.ForeignKey(
        "auth.Group", models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    run_as = models.CharField(max_length=64, blank=True)

    target_worker = models.ForeignKey(
        "workers.Worker", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_labels = models.JSONField(default=list, blank=True)
    routing = models.CharField(max_length=16, choices=Routing.choices, default=Routing.FIRST)

    concurrency = models.CharField(
        max_length=8, choices=Concurrency.choices, default=Concurrency.SKIP
    )
    max_parallel = models.PositiveIntegerField(default=1)

    retries = models.PositiveIntegerField(default=0)
    retry_backoff = models.PositiveIntegerField(default=10)  # seconds
    retry_backoff_kind = models.CharField(
        max_length=12, choices=Backoff.choices, default=Backoff.FIXED
    )
    retry_backoff_max = models.PositiveIntegerField(default=3600)  # seconds

    timeout = models.PositiveIntegerField(default=0)  # seconds, 0 = none
    heartbeat_timeout = models.PositiveIntegerField(default=0)  # seconds, 0 = off
    require_end_marker = models.BooleanField(default=False)
    misfire_policy = models.CharField(
        max_length=8, choices=Misfire.choices, default=Misfire.RUN_ONCE
    )

    cursor = models.TextField(blank=True)
    env = models.JSONField(default=dict, blank=True)
    workdir = models.CharField(max_length=500, blank=True)

    # Where this job's alerts go: {"channels": [channel ids], "users": [user ids]};
    # empty means the default routing.
    alert_routing = models.JSONField(default=dict, blank=True)
    alert_level = models.CharField(
        max_length=8, choices=[(lvl, lvl) for lvl in (*LEVELS, "none")], default="error"
    )

    # Scheduler bookkeeping: the next firing not yet queued. Used by the scheduler tick.
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict:
        """The job's settings as plain data (the audit trail's before → after)."""
        return {
            "name": self.name,
            "description": self.description,
            "tags": list(self.tags),
            "command": self.command,
            "default_args": list(self.default_args),
            "schedule": self.schedule,
            "time_zone": self.time_zone,
            "enabled": self.enabled,
            "owner": self.owner.get_username() if self.owner else None,
            "group": self.group.name if self.group else None,
            "run_as": self.run_as,
            "target_worker": self.target_worker.name if self.target_worker else None,
            "target_labels": list(self.target_labels),
            "routing": self.routing,
            "concurrency": self.concurrency,
            "max_parallel": self.max_parallel,
            "retries": self.retries,
            "retry_backoff": self.retry_backoff,
            "retry_backoff_kind": self.retry_backoff_kind,
            "retry_backoff_max": self.retry_backoff_max,
            "timeout": self.timeout,
            "heartbeat_timeout": self.heartbeat_timeout,
            "require_end_marker": self.require_end_marker,
            "misfire_policy": self.misfire_policy,
            "cursor": self.cursor,
            "env": dict(self.env),
            "workdir": self.workdir,
            "alert_level": self.alert_level,
            "alert_routing": dict(self.alert_routing),
        }
