"""/api/v1/runs/{id}/logs: lines after a seq, paged, and a long poll for new ones."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection

from octopus.logs.ingest import store_lines
from octopus.runs.models import Run


def add_lines(run: Run, first: int, count: int) -> None:
    now = datetime.now(UTC).timestamp()
    store_lines(run, [[seq, now, "stdout", f"line {seq}"] for seq in range(first, first + count)])


@pytest.mark.django_db
def test_it_pages_lines_by_sequence_number(api_as, viewer, make_job) -> None:
    run = Run.objects.create(job=make_job("a"), trigger="manual", state="succeeded")
    add_lines(run, 1, 5)
    api = api_as(viewer)
    first = api.get(f"/runs/{run.id}/logs", limit=3).json()
    assert [line["text"] for line in first["items"]] == ["line 1", "line 2", "line 3"]
    assert (first["last_seq"], first["count"], first["active"]) == (3, 5, False)
    assert first["next"].endswith(f"/api/v1/runs/{run.id}/logs?limit=3&after=3")
    rest = api.get(f"/runs/{run.id}/logs", after=3).json()
    assert [line["seq"] for line in rest["items"]] == [4, 5]
    assert api.get(f"/runs/{run.id}/logs", after=5).json()["items"] == []


@pytest.mark.django_db
def test_waiting_on_an_ended_run_returns_at_once(api_as, viewer, make_job) -> None:
    run = Run.objects.create(job=make_job("a"), trigger="manual", state="failed")
    started = time.monotonic()
    body = api_as(viewer).get(f"/runs/{run.id}/logs", wait=20).json()
    assert body["items"] == [] and body["run_state"] == "failed"
    assert time.monotonic() - started < 10  # a hang guard, not a speed claim


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_returns_the_lines_that_arrive_while_it_waits(api_as, viewer, make_job) -> None:
    run = Run.objects.create(job=make_job("a"), trigger="manual", state="running")
    add_lines(run, 1, 2)

    def later() -> None:
        time.sleep(0.5)
        add_lines(run, 3, 2)
        connection.close()

    writer = threading.Thread(target=later)
    writer.start()
    body = api_as(viewer).get(f"/runs/{run.id}/logs", after=2, wait=15).json()
    writer.join()
    assert [line["text"] for line in body["items"]] == ["line 3", "line 4"]
    assert (body["last_seq"], body["active"]) == (4, True)


@pytest.mark.django_db
def test_bad_paging_values_are_422(api_as, viewer, make_job) -> None:
    run = Run.objects.create(job=make_job("a"), trigger="manual", state="failed")
    api = api_as(viewer)
    for query in ({"after": -1}, {"limit": 0}, {"wait": 31}, {"after": "x"}):
        response = api.get(f"/runs/{run.id}/logs", **query)
        assert response.status_code == 422, query
