"""/api/v1/runs: list with filters, read, cancel (queued at once, in flight via the worker)."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.runs.models import Run
from octopus.runs.worker_runs import runs_to_cancel

pytestmark = pytest.mark.django_db


def test_it_lists_runs_newest_first_with_filters(api_as, viewer, make_job, make_worker) -> None:
    worker = make_worker("w1")
    a, b = make_job("a"), make_job("b")
    r1 = Run.objects.create(job=a, trigger="schedule", state="succeeded", worker=worker)
    r2 = Run.objects.create(job=b, trigger="manual", state="failed")
    r3 = Run.objects.create(job=a, trigger="api", state="queued")
    api = api_as(viewer)

    def ids(**query) -> list[int]:
        return [run["id"] for run in api.get("/runs", **query).json()["items"]]

    assert ids() == [r3.id, r2.id, r1.id]
    assert ids(job="a") == [r3.id, r1.id]
    assert ids(job_id=b.id) == [r2.id]
    assert ids(state="failed") == [r2.id]
    assert ids(trigger="api") == [r3.id]
    assert ids(worker="w1") == [r1.id]
    assert ids(after_id=r1.id, order="oldest") == [r2.id, r3.id]
    assert api.get("/runs", state="exploded").status_code == 422


def test_it_reads_one_run(api_as, viewer, make_job, operator) -> None:
    run = Run.objects.create(
        job=make_job("a", owner=operator),
        trigger="manual",
        args=["x"],
        triggered_by=operator,
        state="queued",
    )
    body = api_as(viewer).get(f"/runs/{run.id}").json()
    assert (body["job"], body["args"], body["triggered_by"], body["state"]) == (
        "a",
        ["x"],
        "oscar",
        "queued",
    )


def test_cancelling_a_queued_run_ends_it_at_once(api_as, operator, make_job) -> None:
    run = Run.objects.create(job=make_job("a", owner=operator), trigger="manual", state="queued")
    body = api_as(operator).post(f"/runs/{run.id}/cancel").json()
    assert (body["state"], body["reason"]) == ("cancelled", "cancelled by oscar before it started")
    assert body["finished_at"] is not None
    assert AuditEvent.objects.get(action="run.cancel").after == {"outcome": "cancelled"}


def test_cancelling_a_running_run_asks_its_worker(api_as, operator, make_job, make_worker) -> None:
    worker = make_worker("w1")
    run = Run.objects.create(
        job=make_job("a", owner=operator), trigger="manual", state="running", worker=worker
    )
    body = api_as(operator).post(f"/runs/{run.id}/cancel").json()
    assert body["state"] == "running" and body["cancel_requested_at"] is not None
    # The worker's connection picks it up (and sends protocol.CANCEL) on its next look.
    assert runs_to_cancel(worker, set()) == [(run.id, "cancelled by oscar")]
    assert runs_to_cancel(worker, {run.id}) == []


def test_cancelling_an_ended_run_is_a_409(api_as, operator, make_job) -> None:
    run = Run.objects.create(job=make_job("a", owner=operator), trigger="manual", state="succeeded")
    response = api_as(operator).post(f"/runs/{run.id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"] == f"run {run.id} already ended (succeeded)"


def test_a_viewer_cannot_cancel(api_as, viewer, make_job) -> None:
    run = Run.objects.create(job=make_job("a"), trigger="manual", state="queued")
    response = api_as(viewer).post(f"/runs/{run.id}/cancel")
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.state == "queued"
