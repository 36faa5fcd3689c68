"""The history search form: checks what the user typed and turns it into a LogQuery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from octopus.jobs.models import Job
from octopus.lib.duration import parse_duration
from octopus.lib.times import EARLIEST, as_utc
from octopus.logs.search import LogQuery
from octopus.workers.models import Worker

LEVEL_CHOICES = [  # "all", then each of LEVELS, most severe first
    ("all", gettext_lazy("all levels")),
    ("fatal", "fatal"),
    ("error", gettext_lazy("error and worse")),
    ("warn", gettext_lazy("warn and worse")),
    ("info", gettext_lazy("info and worse")),
    ("debug", gettext_lazy("debug and worse")),
    ("trace", gettext_lazy("trace and worse")),
]
MAX_ID = 2**63 - 1  # the largest id a (64-bit) id column holds
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class LogSearchForm(forms.Form):
    # The viewer's time zone (set by the page's script); before the times that need it.
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=500, label=gettext_lazy("Text"))
    job = forms.TypedChoiceField(
        label=gettext_lazy("Job"), required=False, coerce=int, empty_value=None
    )
    run = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, label=gettext_lazy("Run")
    )
    worker = forms.TypedChoiceField(
        label=gettext_lazy("Worker"), required=False, coerce=int, empty_value=None
    )
    level = forms.ChoiceField(required=False, choices=LEVEL_CHOICES, label=gettext_lazy("Level"))
    since = forms.CharField(
        required=False, max_length=40, label=pgettext_lazy("start of a time range", "From")
    )
    until = forms.CharField(
        required=False, max_length=40, label=pgettext_lazy("end of a time range", "To")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        jobs = Job.objects.order_by("name").values_list("id", "name")
        workers = Worker.objects.order_by("name").values_list("id", "name")
        # self.fields holds plain Fields to the type checker; these two are declared above.
        job_field = cast(forms.TypedChoiceField, self.fields["job"])
        job_field.choices = [("", _("any job")), *jobs]
        worker_field = cast(forms.TypedChoiceField, self.fields["worker"])
        worker_field.choices = [("", _("any worker")), *workers]

    def _time(self, name: str) -> datetime | None:
        """A time in the viewer's zone ("2026-11-24 10:00"), or a time ago ("2h", "3d"); in
        UTC, clamped at the calendar's first and last moments."""
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        try:
            ago = parse_duration(text)
        except ValueError:
            pass
        else:
            try:
                return timezone.now() - ago
            except OverflowError:  # further back than the calendar goes
                return EARLIEST
        for fmt in TIME_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return as_utc(naive.replace(tzinfo=_zone(self.cleaned_data.get("tz", ""))))
        raise forms.ValidationError(
            _("%(text)s is not a time like 2026-11-24 10:00, or a time ago like 2h or 3d")
            % {"text": repr(text)}
        )

    def clean_since(self) -> datetime | None:
        return self._time("since")

    def clean_until(self) -> datetime | None:
        return self._time("until")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("“From” must be before “To”."))
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
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": f"{hours:g}"}
