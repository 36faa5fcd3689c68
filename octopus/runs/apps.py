from __future__ import annotations

from django.apps import AppConfig


class Config(AppConfig):
    name = "octopus.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from octopus import events
        from octopus.runs import scheduler

        events.job_changed.connect(scheduler.on_job_changed, dispatch_uid="runs.reschedule")
        events.job_deleting.connect(
            scheduler.refuse_deleting_busy_job, dispatch_uid="runs.refuse_deleting"
        )
