"""Reading the audit trail: filters, and each event's change as a readable diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from octopus.accounts.audit_filters import AuditFilter
from octopus.accounts.models import AuditEvent
from octopus.lib.times import typed_time

# What each action code means, for people; the code stays visible beside it.
ACTION_LABELS = {
    "user.login": _("Logged in"),
    "user.login_failed": _("Failed login"),
    "user.locked_out": _("Locked out"),
    "user.create": _("User created"),
    "user.update": _("User changed"),
    "job.create": _("Job created"),
    "job.update": _("Job changed"),
    "job.enable": _("Job enabled"),
    "job.disable": _("Job disabled"),
    "job.delete": _("Job deleted"),
    "job.cursor": _("Cursor set by hand"),
    "run.manual": _("Run started by hand"),
    "run.rerun": _("Run started again"),
    "run.cancel": _("Run cancelled"),
    "alert.ack": _("Alert acknowledged"),
    "alert.acknowledge": _("Alert acknowledged"),
    "alert.resolve": _("Alert resolved"),
    "channel.create": _("Channel added"),
    "channel.update": _("Channel changed"),
    "channel.delete": _("Channel deleted"),
    "channel.test": _("Channel tested"),
    "token.create": _("API token created"),
    "token.revoke": _("API token revoked"),
    "worker.enroll": _("Worker enrolled"),
    "worker.enroll_refused": _("Worker enrollment refused"),
    "worker.reenroll": _("Worker re-enrolled"),
    "worker.enrollment_token": _("Enrollment token created"),
    "worker.revoke": _("Worker revoked"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@dataclass
class AuditParams:
    """The audit page's filter fields, as typed (times in the viewer's time zone)."""

    actor: str = ""
    action: str = ""
    object: str = ""
    start: str = ""  # datetime-local text
    end: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> AuditParams:
        return cls(**{name: params.get(name, "").strip() for name in cls.__dataclass_fields__})

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def to_filter(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor,
            action=self.action,
            object=self.object,
            start=typed_time(self.start),
            end=typed_time(self.end),
        )


def known_actions() -> list[tuple[str, str]]:
    codes = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(code, action_label(code)) for code in codes]


@dataclass
class Change:
    field: str
    before: str | None  # None: not present on that side
    after: str | None
    multiline: bool = False


def show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changes(event: AuditEvent) -> list[Change]:
    """One row per field, before → after. Events with only `after` (a creation, a manual
    run) or only `before` (a deletion) show one side."""
    before = event.before or {}
    after = event.after or {}
    rows = []
    for key in sorted(before.keys() | after.keys()):
        b = show(before[key]) if key in before else None
        a = show(after[key]) if key in after else None
        if b == a:
            continue
        multiline = any(v is not None and ("\n" in v or len(v) > 80) for v in (a, b))
        rows.append(Change(key, b, a, multiline))
    return rows
