"""The runs list: filters from the query string (job, state, worker, trigger, time range)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from octopus.runs.models import Run, RunState, Trigger

SINCE = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
FAILING = "failing"  # any failure state


@dataclass
class RunFilter:
    job: str = ""
    state: str = ""
    worker: str = ""
    trigger: str = ""
    since: str = ""  # a key of SINCE
    start: str = ""  # datetime-local text, in the viewer's time zone
    end: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> RunFilter:
        f = cls(**{name: params.get(name, "").strip() for name in cls.__dataclass_fields__})
        if f.state not in (*RunState.values, FAILING):
            f.state = ""
        if f.trigger not in Trigger.values:
            f.trigger = ""
        if f.since not in SINCE:
            f.since = ""
        return f

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


def typed_time(text: str) -> datetime | None:
    """A time typed in a datetime-local field, read in the viewer's (active) time zone."""
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def filtered_runs(f: RunFilter, now: datetime | None = None) -> QuerySet:
    from octopus.runs.models import FAILURE_STATES

    runs = Run.objects.select_related("job", "worker").order_by("-id")
    if f.job:
        runs = runs.filter(job__name__icontains=f.job)
    if f.state == FAILING:
        runs = runs.filter(state__in=FAILURE_STATES)
    elif f.state:
        runs = runs.filter(state=f.state)
    if f.worker:
        runs = runs.filter(worker__name=f.worker)
    if f.trigger:
        runs = runs.filter(trigger=f.trigger)
    if f.since:
        runs = runs.filter(created__gte=(now or timezone.now()) - SINCE[f.since])
    start, end = typed_time(f.start), typed_time(f.end)
    if start:
        runs = runs.filter(created__gte=start)
    if end:
        runs = runs.filter(created__lt=end)
    return runs
