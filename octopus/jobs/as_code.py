"""Jobs as code: make the jobs match a list of specs (create or update by name, optionally
delete the rest), all or nothing.

1. `plan_apply` reads the whole list first: duplicate names, references (workers, names),
   what each entry changes. Any problem stops it before anything is written.
2. `refusals` asks roles.py about every change in the plan for the acting user.
3. `apply_plan` carries the plan out in one transaction, each change audited as if it had
   been made one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest

from octopus.accounts import roles
from octopus.jobs import changes
from octopus.jobs.models import Job
from octopus.jobs.spec import JobSpec


@dataclass
class Problem:
    index: int | None  # position in the list; None for a job being pruned
    name: str
    field: str
    message: str


class PlanInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Update:
    job: Job
    spec: JobSpec
    changes: dict[str, tuple[Any, Any]]  # field → (now, wanted)


@dataclass
class Plan:
    create: list[JobSpec] = field(default_factory=list)
    update: list[Update] = field(default_factory=list)
    delete: list[Job] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def _diff(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (current.get(k), v) for k, v in wanted.items() if current.get(k) != v}


def plan_apply(specs: list[JobSpec], prune: bool) -> Plan:
    """What applying `specs` would do; raise PlanInvalid listing every problem."""
    problems: list[Problem] = []
    existing = {job.name: job for job in Job.objects.select_related("target_worker", "owner")}
    seen: dict[str, int] = {}
    plan = Plan()
    for index, spec in enumerate(specs):
        if spec.name in seen:
            problems.append(
                Problem(index, spec.name, "name", f"also used by entry {seen[spec.name]}")
            )
            continue
        seen[spec.name] = index
        job = existing.get(spec.name)
        try:
            changes.check_fits(spec, job)
        except changes.InvalidJob as exc:
            problems.append(Problem(index, spec.name, exc.field, str(exc)))
            continue
        if job is None:
            plan.create.append(spec)
            continue
        diff = _diff(changes.spec_of(job), spec.settings())
        if diff:
            plan.update.append(Update(job, spec, diff))
        else:
            plan.unchanged.append(spec.name)
    if prune:
        for name, job in sorted(existing.items()):
            if name in seen:
                continue
            try:
                changes.check_deletable(job)
            except changes.JobBusy as exc:
                problems.append(Problem(None, name, "name", str(exc)))
                continue
            plan.delete.append(job)
    if problems:
        raise PlanInvalid(problems)
    return plan


def refusals(plan: Plan, user: User) -> list[str]:
    """The changes of the plan `user` may not make, as sentences (empty: all allowed)."""
    refused = []
    if plan.create and not roles.can_create_job(user):
        refused.append(f"create {', '.join(s.name for s in plan.create)}")
    refused += [f"edit {u.job.name}" for u in plan.update if not roles.can_edit_job(user, u.job)]
    refused += [f"delete {job.name}" for job in plan.delete if not roles.can_delete_job(user, job)]
    return refused


def apply_plan(plan: Plan, by: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        for job in plan.delete:
            changes.delete_job(job, by, request)
        for update in plan.update:
            changes.update_job(update.job, update.spec, by, request)
        for spec in plan.create:
            changes.create_job(spec, by, request)
