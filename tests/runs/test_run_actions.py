"""Re-run and cancel from the run page: access, outcome and audit."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_rerun_queues_the_same_args_and_cursor(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator, default_args=["--all"])
    first = Run.objects.create(
        job=job, trigger="schedule", state="failed", args=["--day", "mon"], cursor_start="41"
    )
    client.force_login(operator)
    response = client.post(f"/runs/{first.id}/rerun/", **HTMX)
    new = Run.objects.exclude(pk=first.pk).get()
    assert response["HX-Redirect"] == f"/runs/{new.id}/"
    assert (new.trigger, new.args, new.cursor_start, new.triggered_by) == (
        "manual",
        ["--day", "mon"],
        "41",
        operator,
    )
    event = AuditEvent.objects.get(action="run.rerun")
    assert event.after == {
        "run": new.id,
        "rerun_of": first.id,
        "args": ["--day", "mon"],
        "cursor": "41",
    }


def test_cancel_ends_a_queued_run_at_once(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    run = Run.objects.create(job=job, trigger="manual", state="queued")
    client.force_login(operator)
    page = client.get(f"/runs/{run.id}/").content.decode()
    assert "Cancel run" in page and "Re-run" in page
    response = client.post(f"/runs/{run.id}/cancel/", follow=True)
    run.refresh_from_db()
    assert run.state == "cancelled" and run.reason.startswith("cancelled by oscar")
    assert f"Run {run.id} cancelled." in response.content.decode()
    assert AuditEvent.objects.get(action="run.cancel").object_id == str(run.id)
    assert "Cancel run" not in client.get(f"/runs/{run.id}/").content.decode()


def test_cancel_of_a_run_in_flight_tells_its_worker(
    client, operator, make_job, make_worker
) -> None:
    job = make_job("etl", owner=operator)
    run = Run.objects.create(job=job, trigger="manual", state="running", worker=make_worker())
    client.force_login(operator)
    response = client.post(f"/runs/{run.id}/cancel/", follow=True)
    assert f"Run {run.id}" in response.content.decode()
    assert AuditEvent.objects.filter(action="run.cancel").exists()


def test_cancel_of_an_ended_run_says_so_and_changes_nothing(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    run = Run.objects.create(job=job, trigger="manual", state="succeeded")
    client.force_login(operator)
    response = client.post(f"/runs/{run.id}/cancel/", follow=True)
    assert f"Run {run.id} had already ended." in response.content.decode()
    run.refresh_from_db()
    assert run.state == "succeeded"
    assert not AuditEvent.objects.filter(action="run.cancel").exists()
