"""The jobs list: search, filters and sort order into one queryset, the same for the web
page and the API (each reads its own parameters into a JobFilter).

Names match exactly (a job, an owner, a worker: `name`, `owner`, `worker`, and `target`,
a worker's name or one of the labels a job asks for); `q` is the free-text search, a
case-insensitive substring of the name, command or description."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, OrderBy, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.runs.models import Run, RunState

SORTS: dict[str, list[str | OrderBy]] = {
    "name": ["name"],
    "-name": ["-name"],
    "next": [F("next_firing").asc(nulls_last=True), "name"],
    "last": [F("last_run_at").desc(nulls_last=True), "name"],
}
NEVER = "never"  # the "last run" filter value for jobs that never ran


@dataclass
class JobFilter:
    q: str = ""
    name: str = ""
    tag: str = ""
    owner: str = ""  # a user's or a group's name
    worker: str = ""  # the job's target worker
    target: str = ""  # the target worker, or a label the job asks for
    enabled: str = ""  # "", "yes", "no"
    last: str = ""  # "", a run state, or NEVER
    sort: str = "name"

    @classmethod
    def from_query(cls, params: QueryDict) -> JobFilter:
        f = cls(**{name: params.get(name, "").strip() for name in cls.__dataclass_fields__})
        if f.sort not in SORTS:
            f.sort = "name"
        if f.enabled not in ("yes", "no"):
            f.enabled = ""
        if f.last not in (*RunState.values, NEVER):
            f.last = ""
        return f

    @property
    def active(self) -> bool:
        return any(
            (self.q, self.name, self.tag, self.owner, self.worker, self.target, self.enabled)
        ) or bool(self.last)


def real_runs() -> QuerySet:
    """Runs that count as a job's runs: skipped firings and firings queued ahead of their
    second aside."""
    return Run.objects.exclude(state=RunState.SKIPPED).exclude(
        Run.ahead_of_their_second(timezone.now())
    )


def with_last_run(jobs: QuerySet) -> QuerySet:
    """Annotate each job with its last real run, in the same query: `last_run_id`,
    `_state`, `_created`, `_finished_at`, and `_at`, when it ran or was due to (a firing
    queued ahead was created seconds before)."""
    last = real_runs().filter(job=OuterRef("pk")).order_by("-id")
    return jobs.annotate(
        last_run_id=Subquery(last.values("id")[:1]),
        last_run_state=Subquery(last.values("state")[:1]),
        last_run_created=Subquery(last.values("created")[:1]),
        last_run_finished_at=Subquery(last.values("finished_at")[:1]),
        last_run_at=Subquery(
            last.annotate(at=Coalesce("started_at", "scheduled_for", "created")).values("at")[:1]
        ),
    )


def with_next_firing(jobs: QuerySet) -> QuerySet:
    """Annotate each job with its next firing: one queued ahead whose second has not come
    (runs/scheduler.py), else the next not yet queued."""
    ahead = (
        Run.objects.filter(Q(job=OuterRef("pk")) & Run.ahead_of_their_second(timezone.now()))
        .order_by("not_before")
        .values("not_before")[:1]
    )
    return jobs.annotate(next_firing=Coalesce(Subquery(ahead), F("next_fire_at")))


def _json_list_has(field: str, value: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field}__contains": [value]})
    # SQLite: no JSON containment; the stored text holds the item as a JSON string.
    return Q(**{f"{field}_text__contains": json.dumps(value)})


def filtered_jobs(f: JobFilter, jobs: QuerySet[Job] | None = None) -> QuerySet[Job]:
    """The jobs (of `jobs`, by default all) that pass the filter, in its sort order, each
    with its last run and next firing."""
    if jobs is None:
        jobs = Job.objects.all()
    jobs = with_last_run(jobs.select_related("owner", "group", "target_worker"))
    jobs = with_next_firing(jobs)
    jobs = jobs.annotate(
        tags_text=Cast("tags", TextField()), target_labels_text=Cast("target_labels", TextField())
    )
    if f.q:
        jobs = jobs.filter(
            Q(name__icontains=f.q) | Q(command__icontains=f.q) | Q(description__icontains=f.q)
        )
    if f.name:
        jobs = jobs.filter(name=f.name)
    if f.tag:
        jobs = jobs.filter(_json_list_has("tags", f.tag))
    if f.owner:
        jobs = jobs.filter(Q(owner__username=f.owner) | Q(group__name=f.owner))
    if f.worker:
        jobs = jobs.filter(target_worker__name=f.worker)
    if f.target:
        jobs = jobs.filter(
            Q(target_worker__name=f.target) | _json_list_has("target_labels", f.target)
        )
    if f.enabled:
        jobs = jobs.filter(enabled=f.enabled == "yes")
    if f.last == NEVER:
        jobs = jobs.filter(last_run_id__isnull=True)
    elif f.last:
        # Annotated by with_last_run(), which the Django plugin cannot follow.
        jobs = jobs.filter(last_run_state=f.last)  # type: ignore[misc]
    return jobs.order_by(*SORTS[f.sort])


def known_tags() -> list[str]:
    """Every tag in use, for the filter's suggestions."""
    tags: set[str] = set()
    for job_tags in Job.objects.values_list("tags", flat=True):
        tags.update(job_tags or [])
    return sorted(tags)
