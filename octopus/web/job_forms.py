"""Job input: what a person types, turned into a JobSpec and checked by the same rules as
the API (octopus/jobs/spec.py, octopus/jobs/changes.py), with the messages on the fields."""

from __future__ import annotations

import re
import shlex
from functools import cache
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from octopus.jobs import changes, spec
from octopus.jobs.models import Job
from octopus.lib.validation import error_message
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

    def __init__(self, *args, user=None, cloned_from: Job | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cloned_from = cloned_from
        self.spec: spec.JobSpec | None = None  # set by a successful clean()
        self._limit_ownership(user)
        # self.fields holds plain Fields to the type checker; foreign keys get these.
        target_worker = cast(forms.ModelChoiceField, self.fields["target_worker"])
        target_worker.queryset = Worker.objects.order_by("name")
        target_worker.empty_label = _("any matching worker")
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

        # self.fields holds plain Fields to the type checker; foreign keys get these.
        group = cast(forms.ModelChoiceField, self.fields["group"])
        if user is None or can_admin(user):
            owner = cast(forms.ModelChoiceField, self.fields["owner"])
            owner.queryset = get_user_model().objects.filter(is_active=True)
            group.queryset = Group.objects.order_by("name")
            if user is not None and not self.instance.pk:
                self.initial.setdefault("owner", user.pk)
        else:
            del self.fields["owner"]
            # Their own groups, and the job's current one (kept when they save).
            mine = Group.objects.filter(user=user)
            current = Group.objects.filter(pk=self.instance.group_id)
            group.queryset = (mine | current).distinct().order_by("name")
        group.empty_label = _("no group")
        if "owner" in self.fields:
            cast(forms.ModelChoiceField, self.fields["owner"]).empty_label = _("nobody")

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

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean() returns cleaned_data
        if self.errors:
            return data  # the fields' own errors say enough
        try:
            self.spec = spec.JobSpec.model_validate(self._spec_settings(data))
            changes.check_fits(self.spec, self.instance if self.instance.pk else None)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else None
                self.add_error(self.field_of(name), error_message(error))
        except changes.InvalidJob as exc:
            self.add_error(self.field_of(exc.field), str(exc))
        return data

    def _spec_settings(self, data: dict) -> dict:
        """The job as a spec: what the form shows, over the settings it does not show
        (kept from the job, or the job it copies)."""
        if self.instance.pk:
            settings = changes.spec_of(self.instance)
        elif self.cloned_from is not None:
            settings = changes.spec_of(self.cloned_from)
        else:
            settings = dict(spec.DEFAULTS)
        for name in self._meta.fields or ():
            if name in spec.SPEC_FIELDS:
                settings[name] = data.get(name)
        worker = data.get("target_worker")
        settings.update(
            target_worker=worker.name if worker else None,
            schedule=data.get("schedule") or "",
            tags=split_list(data.get("tags_text", "")),
            default_args=data.get("args_text", []),
            target_labels=split_list(data.get("target_labels_text", "")),
            env=data.get("env_text", {}),
        )
        return settings

    def field_of(self, name: str | None) -> str | None:
        """The form field that shows a spec setting (None: the form as a whole)."""
        name = SPEC_FIELD_ON_FORM.get(name or "", name)
        return name if name in self.fields else None

    def _post_clean(self) -> None:
        # The job is changed by the jobs service from `self.spec`, never by the form: the
        # instance stays as it is in the database (its before, for the audit trail).
        pass

    def ownership(self) -> dict:
        """The owner and group to save: the form's, where the user may set them."""
        chosen = {}
        if "owner" in self.fields and "owner" in self.data:
            chosen["owner"] = self.cleaned_data.get("owner")
        if "group" in self.fields:
            chosen["group"] = self.cleaned_data.get("group")
        return chosen


# The settings the form shows as text fields of their own.
SPEC_FIELD_ON_FORM = {
    "tags": "tags_text",
    "default_args": "args_text",
    "target_labels": "target_labels_text",
    "env": "env_text",
}


def clone_initial(job: Job) -> dict:
    """Form values for a copy of `job`: same settings, a new name, no cursor."""
    form = JobForm(instance=job)
    initial = {name: form[name].value() for name in form.fields}
    initial["name"] = f"{job.name}-copy"
    initial.pop("owner", None)
    return initial


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
