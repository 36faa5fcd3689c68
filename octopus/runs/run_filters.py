"""The runs list: filters (job, state, worker, trigger, time range), the same for the web
page and the API (each reads its own parameters into a RunFilter). Names match exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from octopus.lib.times import typed_time
from octopus.runs.models import FAILURE_STATES, Run, RunState, Trigger

SINCE = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
FAILING = "failing"  # any failure state


@dataclass
class RunFilter:
    job: str = ""  # the job's name
    state: str = ""  # a state, or FAILING
    worker: str = ""  # the worker's name
    trigger: str = ""
    since: str = ""  # a key of SINCE
    start: str = ""  # datetime-local text, in the viewer's time zone
    end: str = ""
    job_id: int | None = None
    after_id: int | None = None  # only runs with a higher id (newer)
    oldest_first: bool = False

    TEXT_FIELDS = ("job", "state", "worker", "trigger", "since", "start", "end")

    @classmethod
    def from_query(cls, params: QueryDict) -> RunFilter:
        text: dict[str, Any] = {name: params.get(name, "").strip() for name in cls.TEXT_FIELDS}
        f = cls(**text)
        if f.state not in (*RunState.values, FAILING):
            f.state = ""
        if f.trigger not in Trigger.values:
            f.trigger = ""
        if f.since not in SINCE:
            f.since = ""
        return f

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.TEXT_FIELDS)


def filtered_runs(
    f: RunFilter, runs: QuerySet[Run] | None = None, now: datetime | None = None
) -> QuerySet[Run]:
    """The runs (of `runs`, by default all) that pass the filter, newest first."""
    if runs is None:
        runs = Run.objects.all()
    runs = runs.select_related("job", "worker").order_by("id" if f.oldest_first else "-id")
    if f.job:
        runs = runs.filter(job__name=f.job)
    if f.job_id is not None:
        runs = runs.filter(job_id=f.job_id)
    if f.after_id is not None:
        runs = runs.filter(id__gt=f.after_id)
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
