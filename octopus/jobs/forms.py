"""Job input: what a person types, checked and turned into a Job, with clear messages."""

from __future__ import annotations

import re
import shlex
from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.jobs import spec
from octopus.jobs.models import Concurrency, Job
from octopus.runs.command import parse_args
from octopus.workers.models import Worker


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(spec.time_zones())]


def split_list(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\s]+", text) if item.strip()]


class JobForm(forms.ModelForm):
    tags_text = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma separated."))
    args_text = forms.CharField(
        label=_("Default arguments"),
        required=False,
        help_text=_("Shell words, quoted as in a shell. Replace {args} in the command."),
    )
    target_labels_text = forms.CharField(
        label=_("Worker labels"),
        required=False,
        help_text=_("A worker must have all of these, e.g. python3.11, linux."),
    )
    env_text = forms.CharField(
        label=_("Environment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("KEY=value, one per line")}),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="UTC")

    class Meta:
        model = Job
        fields = [
            "name",
            "description",
            "command",
            "schedule",
            "time_zone",
            "enabled",
            "target_worker",
            "routing",
            "concurrency",
            "max_parallel",
            "retries",
            "retry_backoff",
            "retry_backoff_kind",
            "timeout",
            "heartbeat_timeout",
            "require_end_marker",
            "misfire_policy",
            "run_as",
            "workdir",
            "alert_level",
            "owner",
            "group",
        ]
        widgets = {
            "command": forms.Textarea(
                attrs={"rows": 3, "class": "mono", "placeholder": "echo hello {args}"}
            ),
            "description": forms.Textarea(attrs={"rows": 2}),
            "schedule": forms.TextInput(
                attrs={"class": "mono", "placeholder": _("*/5 * * * *   or   */10 * * * * *")}
            ),
        }
        labels = {
            "name": _("Name"),
            "description": _("Description"),
            "command": _("Command"),
            "schedule": _("Schedule"),
            "enabled": _("Enabled"),
            "target_worker": _("Worker"),
            "routing": _("Routing"),
            "concurrency": _("Concurrency"),
            "max_parallel": _("Max parallel"),
            "retries": _("Retries"),
            "retry_backoff": _("Retry backoff"),
            "retry_backoff_kind": _("Backoff kind"),
            "timeout": _("Timeout"),
            "heartbeat_timeout": _("Heartbeat timeout"),
            "require_end_marker": _("Require an end line (code 120)"),
            "misfire_policy": _("After downtime"),
            "run_as": _("Run as"),
            "workdir": _("Working directory"),
            "alert_level": _("Alert level"),
            "owner": _("Owner"),
            "group": _("Group"),
        }
        help_texts = {
            "schedule": _(
                "5 fields, or 6 with leading seconds; @hourly, @daily… Empty: manual only."
            ),
            "timeout": _("Seconds; 0 means no limit."),
            "heartbeat_timeout": _(
                "Seconds without output before the run counts as hung; 0 = off."
            ),
            "retries": _("Restart on failure this many times."),
            "retry_backoff": _("Seconds before a restart."),
            "group": _("Operators in this group may run and edit the job too."),
        }

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._limit_ownership(user)
        self.fields["target_worker"].queryset = Worker.objects.order_by("name")
        self.fields["target_worker"].empty_label = _("any matching worker")
        job = self.instance
        if job.pk:
            self.initial.update(
                tags_text=", ".join(job.tags),
                args_text=" ".join(_quote(a) for a in job.default_args),
                target_labels_text=", ".join(job.target_labels),
                env_text="\n".join(f"{k}={v}" for k, v in job.env.items()),
            )

    def _limit_ownership(self, user) -> None:
        """Admins give a job to anyone; an operator keeps the owner and may share the job
        with one of their own groups (so that group's operators can run and edit it)."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from octopus.accounts.roles import can_admin

        if user is None or can_admin(user):
            self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True)
            self.fields["group"].queryset = Group.objects.order_by("name")
            if user is not None and not self.instance.pk:
                self.initial.setdefault("owner", user.pk)
        else:
            del self.fields["owner"]
            # Their own groups, and the job's current one (kept when they save).
            mine = Group.objects.filter(user=user)
            current = Group.objects.filter(pk=self.instance.group_id)
            self.fields["group"].queryset = (mine | current).distinct().order_by("name")
        self.fields["group"].empty_label = _("no group")
        if "owner" in self.fields:
            self.fields["owner"].empty_label = _("nobody")

    def clean_name(self) -> str:
        try:
            return spec.check_name(self.cleaned_data["name"])
        except spec.SpecError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_args_text(self) -> list[str]:
        try:
            return parse_args(self.cleaned_data.get("args_text", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_env_text(self) -> dict[str, str]:
        try:
            return spec.parse_env_text(self.cleaned_data.get("env_text", ""))
        except spec.SpecError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict:
        data = super().clean()
        data["schedule"] = (data.get("schedule") or "").strip()
        if data["schedule"] and data.get("time_zone"):
            try:
                spec.check_schedule(data["schedule"], data["time_zone"])
            except spec.SpecError as exc:
                self.add_error("schedule", str(exc))
        try:
            spec.check_max_parallel(data.get("max_parallel"))
        except spec.SpecError as exc:
            self.add_error("max_parallel", str(exc))
        if data.get("concurrency") == Concurrency.ALLOW and self._uses_cursor(data):
            self.add_error(
                "concurrency",
                _(
                    "This job uses a cursor, so its runs cannot overlap: parallel runs would "
                    "overwrite each other's checkpoints. Choose skip or queue."
                ),
            )
        return data

    def _uses_cursor(self, data: dict) -> bool:
        command = data.get("command") or ""
        return bool(self.instance.cursor) or "{cursor}" in command or "OCTOPUS_CURSOR" in command

    def save(self, commit: bool = True) -> Job:
        job: Job = super().save(commit=False)
        job.tags = split_list(self.cleaned_data.get("tags_text", ""))
        job.default_args = self.cleaned_data.get("args_text", [])
        job.target_labels = split_list(self.cleaned_data.get("target_labels_text", ""))
        job.env = self.cleaned_data.get("env_text", {})
        if job.concurrency != Concurrency.ALLOW:
            job.max_parallel = 1
        if commit:
            job.save()
        return job


class RunNowForm(forms.Form):
    args = forms.CharField(
        label=_("Arguments"), required=False, help_text=_("Temporary arguments for this run only.")
    )
    cursor = forms.CharField(
        label=_("Cursor"),
        required=False,
        strip=False,
        help_text=_("Temporary cursor for this run only."),
    )

    def clean_cursor(self) -> str | None:
        return self.cleaned_data.get("cursor") or None

    def clean_args(self) -> list[str] | None:
        text = self.cleaned_data.get("args", "")
        if not text.strip():
            return None
        try:
            return parse_args(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _quote(arg: str) -> str:
    return shlex.quote(arg)


class CursorForm(forms.Form):
    cursor = forms.CharField(required=False, strip=False, max_length=10_000)
