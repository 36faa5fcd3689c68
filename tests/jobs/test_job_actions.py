"""Clone, enable/disable (htmx), delete with confirmation, the run-now dialog; all audited."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.jobs.models import Job
from octopus.runs.models import Run
from tests.e2e.octopus_process import JOB_DEFAULTS

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_clone_prefills_a_copy_and_creates_a_new_job(client, operator, make_job) -> None:
    source = make_job(
        "etl",
        command="etl --since {cursor}",
        tags=["etl"],
        schedule="0 3 * * *",
        cursor="42",
        owner=operator,
        alert_routing={"channels": [], "users": [1]},
    )
    client.force_login(operator)
    page = client.get(f"/jobs/{source.id}/clone/").content.decode()
    assert 'value="etl-copy"' in page and "etl --since {cursor}" in page and 'value="etl"' in page
    data = {
        **JOB_DEFAULTS,
        "name": "etl-copy",
        "command": source.command,
        "tags_text": "etl",
        "schedule": "0 3 * * *",
    }
    response = client.post(f"/jobs/{source.id}/clone/", data)
    copy = Job.objects.get(name="etl-copy")
    assert response.url == f"/jobs/{copy.id}/"
    assert (copy.command, copy.tags, copy.cursor, copy.owner) == (
        source.command,
        ["etl"],
        "",
        operator,
    )
    assert copy.alert_routing == source.alert_routing
    assert AuditEvent.objects.get(action="job.create").after["cloned_from"] == "etl"


def test_disable_and_enable_answer_htmx_with_the_new_header(client, operator, make_job) -> None:
    job = make_job("etl", schedule="* * * * *", owner=operator)
    client.force_login(operator)
    response = client.post(f"/jobs/{job.id}/disable/", **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert 'id="job-head"' in fragment and "disabled" in fragment and "Enable" in fragment
    job.refresh_from_db()
    assert not job.enabled and job.next_fire_at is None
    client.post(f"/jobs/{job.id}/enable/", **HTMX)
    job.refresh_from_db()
    assert job.enabled and job.next_fire_at is not None
    events = AuditEvent.objects.order_by("id")
    assert [(e.action, e.before, e.after) for e in events.filter(action__startswith="job.")] == [
        ("job.disable", {"enabled": True}, {"enabled": False}),
        ("job.enable", {"enabled": False}, {"enabled": True}),
    ]


def test_disable_needs_a_post(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    client.force_login(operator)
    assert client.get(f"/jobs/{job.id}/disable/").status_code == 405
    assert client.get(f"/jobs/{job.id}/delete/").status_code == 405
    assert Job.objects.filter(pk=job.pk, enabled=True).exists()


def test_delete_removes_the_job_and_its_history_and_is_audited(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    Run.objects.create(job=job, trigger="manual", state="succeeded")
    client.force_login(operator)
    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert '<dialog id="delete-dialog">' in page and "This cannot be undone." in page
    response = client.post(f"/jobs/{job.id}/delete/", **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == "/jobs/"
    assert not Job.objects.exists() and not Run.objects.exists()
    event = AuditEvent.objects.get(action="job.delete")
    assert event.before["name"] == "etl" and event.after is None and event.object_repr == "etl"


def test_delete_is_refused_while_a_run_is_active(client, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    Run.objects.create(job=job, trigger="manual", state="running")
    client.force_login(operator)
    response = client.post(f"/jobs/{job.id}/delete/", follow=True)
    message = "job &#x27;etl&#x27; has 1 run(s) in flight; cancel them or wait first"
    assert message in response.content.decode()
    assert Job.objects.filter(pk=job.pk).exists()
    assert not AuditEvent.objects.filter(action="job.delete").exists()


def test_the_run_now_dialog_shows_bad_args_and_keeps_what_was_typed(
    client, operator, make_job
) -> None:
    job = make_job("etl", owner=operator)
    client.force_login(operator)
    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert '<dialog id="run-now-dialog"' in page
    response = client.post(f"/jobs/{job.id}/run/", {"args": "'unclosed", "cursor": "7"}, **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and 'id="run-now-form"' in fragment
    assert "cannot split the arguments" in fragment and 'value="7"' in fragment
    assert not Run.objects.exists()
    response = client.post(f"/jobs/{job.id}/run/", {"args": "--day mon", "cursor": "7"}, **HTMX)
    run = Run.objects.get()
    assert response["HX-Redirect"] == f"/runs/{run.id}/"
    assert (run.args, run.cursor_start) == (["--day", "mon"], "7")
