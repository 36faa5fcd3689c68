"""The history search form: checks what the user typed and turns it into a LogQuery."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.lib.duration import parse_duration
from octopus.lib.logline import LEVELS
from octopus.logs.search import LogQuery
from octopus.workers.models import Worker

LEVEL_CHOICES = [("all", "all levels"), *[(name, f"{name} and worse") for name in LEVELS]]
LEVEL_CHOICES[1] = ("fatal", "fatal")
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class LogSearchForm(forms.Form):
    # The viewer's time zone (set by the page's script); before the times that need it.
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=500, label="Text")
    job = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    run = forms.IntegerField(required=False, min_value=1, label="Run")
    worker = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(required=False, choices=LEVEL_CHOICES, label="Level")
    since = forms.CharField(required=False, max_length=40, label="From")
    until = forms.CharField(required=False, max_length=40, label="To")

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        jobs = Job.objects.order_by("name").values_list("id", "name")
        workers = Worker.objects.order_by("name").values_list("id", "name")
        self.fields["job"].choices = [("", "any job"), *jobs]
        self.fields["worker"].choices = [("", "any worker"), *workers]

    def _time(self, name: str) -> datetime | None:
        """A time in the viewer's zone ("2026-11-24 10:00"), or a time ago ("2h", "3d")."""
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            return timezone.now() - parse_duration(text)
        except ValueError:
            pass
        for fmt in TIME_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=_zone(self.cleaned_data.get("tz", "")))
        raise forms.ValidationError(
            f"{text!r} is not a time like 2026-11-24 10:00, or a time ago like 2h or 3d"
        )

    def clean_since(self) -> datetime | None:
        return self._time("since")

    def clean_until(self) -> datetime | None:
        return self._time("until")

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("“From” must be before “To”.")
        return data

    def query(self) -> LogQuery:
        data = self.cleaned_data
        return LogQuery(
            text=data.get("q") or "",
            job_id=data.get("job"),
            run_id=data.get("run"),
            worker_id=data.get("worker"),
            min_level=data.get("level") or "all",
            since=data.get("since"),
            until=data.get("until"),
        )


def retention_label(retention: timedelta) -> str:
    hours = retention.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"
