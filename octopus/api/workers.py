"""Workers over the API (read only: enrolling and tokens stay on the server machine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from octopus.accounts import roles
from octopus.api.errors import ApiError
from octopus.api.pagination import Page, PageIn, paged
from octopus.workers.models import Worker, WorkerState

router = Router(tags=["workers"])


class WorkerOut(Schema):
    id: int
    name: str
    hostname: str
    labels: list[str]
    state: str
    connected: bool
    version: str
    load: dict[str, Any]
    running_count: int
    last_seen: datetime | None
    connected_at: datetime | None
    created: datetime

    @staticmethod
    def resolve_connected(worker: Worker) -> bool:
        return worker.connected_at is not None


class WorkerFilters(Schema):
    state: Literal[tuple(WorkerState.values)] | None = None  # type: ignore[valid-type]
    label: str | None = None


@router.get("/workers", response=Page[WorkerOut], summary="List workers by name")
def list_workers(request: HttpRequest, filters: Query[WorkerFilters], page: Query[PageIn]):
    if not roles.can_view_workers(request.user):
        raise ApiError(403, "you may not see workers")
    workers = Worker.objects.order_by("name")
    if filters.state is not None:
        workers = workers.filter(state=filters.state)
    if filters.label is not None:
        # Labels are a JSON list, and SQLite has no JSON "contains": filter ids in Python.
        ids = [pk for pk, labels in workers.values_list("id", "labels") if filters.label in labels]
        workers = workers.filter(id__in=ids)
    return paged(request, workers, page)
