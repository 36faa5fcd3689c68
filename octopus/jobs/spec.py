"""A job's settings as input: the rules both the web form and the API check, with one wording.

`JobSpec` is what a person or a script states about a job (the API body, one entry of a
jobs-as-code file). Runtime state (cursor, next firing, owner) is not part of it. The
`check_*` functions are the rules themselves; the form calls them for its own fields.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from octopus.jobs import models
from octopus.lib import cron
from octopus.lib.logline import LEVELS

NAME = re.compile(r"^[\w.-]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_INT = 2**31 - 1  # what every supported database stores in an integer column

NAME_MESSAGE = gettext_noop("Use letters, digits, '.', '_' and '-' only (no spaces).")
MAX_PARALLEL_MESSAGE = gettext_noop("At least 1.")

# The choices come from the model, so a new choice needs no second edit here.
Routing = Literal[tuple(models.Routing.values)]  # type: ignore[valid-type]
Concurrency = Literal[tuple(models.Concurrency.values)]  # type: ignore[valid-type]
BackoffKind = Literal[tuple(models.Backoff.values)]  # type: ignore[valid-type]
MisfirePolicy = Literal[tuple(models.Misfire.values)]  # type: ignore[valid-type]
AlertLevel = Literal[(*LEVELS, "none")]  # type: ignore[valid-type]


class SpecError(ValueError):
    """A job setting breaks a rule; the message is the one a person sees."""


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise SpecError(_(NAME_MESSAGE))
    return name


def check_schedule(schedule: str, time_zone: str) -> str:
    """The schedule as stored (stripped; empty means manual only)."""
    schedule = schedule.strip()
    if schedule:
        try:
            cron.validate(schedule, time_zone)
        except cron.CronError as exc:
            raise SpecError(_("Invalid schedule: %(error)s.") % {"error": exc}) from None
    return schedule


def check_time_zone(name: str) -> str:
    if name not in time_zones():
        raise SpecError(
            _("Unknown time zone %(name)s; use an IANA name such as Europe/Berlin.")
            % {"name": repr(name)}
        )
    return name


def check_env(env: dict[str, str]) -> dict[str, str]:
    for key in env:
        if not ENV_NAME.match(key):
            raise SpecError(
                f"{key!r} is not a valid environment variable name (letters, digits, '_')."
            )
    return env


def parse_env_text(text: str) -> dict[str, str]:
    """`NAME=value` lines (blank lines and # comments skipped) as the form's text area has them."""
    env: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not ENV_NAME.match(key):
            raise SpecError(
                _("Line %(number)s: expected NAME=value, got %(line)s.")
                % {"number": number, "line": repr(line)}
            )
        env[key] = value
    return env


def check_max_parallel(value: int | None) -> None:
    if value == 0:
        raise SpecError(_(MAX_PARALLEL_MESSAGE))


def _no_nul(value: str) -> str:
    # Databases refuse NUL in text columns (PostgreSQL errors); refuse it at the door.
    if "\x00" in value:
        raise SpecError("must not contain NUL characters")
    return value


def _count(default: int) -> Any:
    return Field(default, ge=0, le=MAX_INT)


class JobSpec(BaseModel):
    """Everything one states about a job. Omitted fields take these defaults."""

    model_config = ConfigDict(extra="forbid", str_max_length=100_000)

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    tags: list[str] = []
    command: str
    default_args: list[str] = []
    # The time zone comes first: the schedule is checked in it.
    time_zone: str = Field("UTC", max_length=64)
    schedule: str = Field("", max_length=200)
    enabled: bool = True
    run_as: str = Field("", max_length=64)
    target_worker: str | None = Field(None, max_length=100)
    target_labels: list[str] = []
    routing: Routing = "first"  # type: ignore[valid-type]  # built from choices, see above
    concurrency: Concurrency = "skip"  # type: ignore[valid-type]  # built from choices
    max_parallel: int = Field(1, ge=1, le=MAX_INT)
    retries: int = _count(0)
    retry_backoff: int = _count(10)
    retry_backoff_kind: BackoffKind = "fixed"  # type: ignore[valid-type]  # built from choices
    retry_backoff_max: int = _count(3600)
    timeout: int = _count(0)
    heartbeat_timeout: int = _count(0)
    require_end_marker: bool = False
    misfire_policy: MisfirePolicy = "run_once"  # type: ignore[valid-type]  # built from choices
    env: dict[str, str] = {}
    workdir: str = Field("", max_length=500)
    alert_level: AlertLevel = "error"
    alert_routing: dict[str, list[int]] = {}

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not value.strip():
            raise SpecError("This field is required.")
        return _no_nul(value)

    @field_validator("description", "run_as", "workdir", "target_worker")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return value if value is None else _no_nul(value)

    @field_validator("tags", "default_args", "target_labels")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for item in value:
            _no_nul(item)
        return value

    @field_validator("tags", "target_labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        cleaned = [item.strip() for item in value]
        if any(not item or len(item) > 64 for item in cleaned):
            raise SpecError("each item must be 1 to 64 characters")
        return cleaned

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        return check_time_zone(value)

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            _no_nul(item)
        return check_env(value)

    @field_validator("alert_routing")
    @classmethod
    def _routing(cls, value: dict[str, list[int]]) -> dict[str, list[int]]:
        # Stored as JSON: PostgreSQL's jsonb refuses a NUL (\u0000) anywhere in it.
        for key in value:
            _no_nul(key)
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str, info: ValidationInfo) -> str:
        if "time_zone" not in info.data:
            return value.strip()  # the time zone is wrong: that error says enough
        return check_schedule(_no_nul(value), info.data["time_zone"])

    @model_validator(mode="after")
    def _one_at_a_time(self) -> JobSpec:
        if self.concurrency != "allow":
            self.max_parallel = 1  # only `allow` runs several at once
        return self

    def settings(self) -> dict[str, Any]:
        """The spec as plain data, comparable with `Job.to_dict()`."""
        return self.model_dump()


SPEC_FIELDS = tuple(JobSpec.model_fields)
DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for name, field in JobSpec.model_fields.items()
    if not field.is_required()
}


def compact(settings: dict[str, Any]) -> dict[str, Any]:
    """Only the settings that differ from the defaults (what a jobs file needs to say)."""
    return {k: v for k, v in settings.items() if k not in DEFAULTS or DEFAULTS[k] != v}
