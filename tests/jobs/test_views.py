"""The job pages: access, validation messages, the schedule preview, run now, audit."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.jobs.models import Job
from octopus.runs.models import Run
from tests.e2e.octopus_process import JOB_DEFAULTS

pytestmark = pytest.mark.django_db


def job_form(**fields) -> dict:
    return {**JOB_DEFAULTS, "name": "nightly", "command": "echo hi", **fields}


def test_pages_need_a_login(client) -> None:
    for path in ("/jobs/", "/jobs/new/", "/runs/", "/workers/", "/jobs/preview/?schedule=*"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/login/")


def test_health_is_public(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_an_operator_creates_a_job_and_it_is_audited(client, operator) -> None:
    client.force_login(operator)
    response = client.post(
        "/jobs/new/",
        job_form(
            schedule="*/5 * * * *",
            tags_text="etl, daily",
            env_text="A=1\nB=two words",
            args_text="--day 'mon tue'",
        ),
    )
    job = Job.objects.get(name="nightly")
    assert response.status_code == 302
    assert response.url == f"/jobs/{job.id}/"
    assert job.owner == operator
    assert job.tags == ["etl", "daily"]
    assert job.env == {"A": "1", "B": "two words"}
    assert job.default_args == ["--day", "mon tue"]
    assert job.next_fire_at is not None
    event = AuditEvent.objects.get(action="job.create")
    assert event.actor == operator
    assert event.after["schedule"] == "*/5 * * * *"
    assert event.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"schedule": "61 * * * *"}, "Invalid schedule: bad minute field &#x27;61&#x27;"),
        ({"schedule": "* * *"}, "Invalid schedule: expected 5 fields"),
        ({"name": "has space"}, "Use letters, digits"),
        ({"command": ""}, "This field is required"),
        ({"args_text": "'; rm -rf / #"}, "cannot split the arguments"),
        ({"env_text": "not an assignment"}, "Line 1: expected NAME=value"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(client, operator, fields, message) -> None:
    client.force_login(operator)
    response = client.post("/jobs/new/", job_form(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_a_viewer_cannot_create_edit_or_run(client, viewer, make_job) -> None:
    job = make_job()
    client.force_login(viewer)
    assert client.get("/jobs/new/").status_code == 403
    assert client.post("/jobs/new/", job_form()).status_code == 403
    assert client.post(f"/jobs/{job.id}/edit/", job_form(name="renamed")).status_code == 403
    assert client.post(f"/jobs/{job.id}/run/", {"args": ""}).status_code == 403
    assert not Run.objects.exists()
    assert Job.objects.get().name == "job"


def test_edit_records_before_and_after(client, operator, make_job) -> None:
    job = make_job("nightly", command="echo old", owner=operator)
    client.force_login(operator)
    response = client.post(f"/jobs/{job.id}/edit/", job_form(command="echo new"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="job.update")
    assert event.before == {"command": "echo old"}
    assert event.after == {"command": "echo new"}


def test_run_now_queues_a_manual_run_with_temporary_args(client, operator, make_job) -> None:
    job = make_job("nightly", default_args=["--all"], owner=operator)
    client.force_login(operator)
    response = client.post(f"/jobs/{job.id}/run/", {"args": "--only 'a b'"})
    run = Run.objects.get()
    assert response.url == f"/runs/{run.id}/"
    assert (run.trigger, run.args, run.triggered_by) == ("manual", ["--only", "a b"], operator)
    job.refresh_from_db()
    assert job.default_args == ["--all"]
    assert AuditEvent.objects.filter(action="run.manual", actor=operator).exists()


def test_the_preview_lists_the_next_five_firings(client, viewer) -> None:
    client.force_login(viewer)
    page = client.get("/jobs/preview/", {"schedule": "0 9 * * *", "time_zone": "Asia/Shanghai"})
    text = page.content.decode()
    assert text.count("<li>") == 5
    assert "09:00:00 CST" in text and "01:00:00 UTC" in text


def test_the_preview_explains_a_bad_schedule(client, viewer) -> None:
    client.force_login(viewer)
    page = client.get("/jobs/preview/", {"schedule": "* 25 * * *"})
    assert "Invalid schedule: bad hour field &#x27;25&#x27;" in page.content.decode()


def test_login_and_failed_login_are_audited(client, operator) -> None:
    client.post("/login/", {"username": "oscar", "password": "wrong"})
    client.post("/login/", {"username": "oscar", "password": "pw-for-tests"})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["user.login_failed", "user.login"]


def test_a_job_with_a_cursor_refuses_allow_concurrency(client, operator) -> None:
    client.force_login(operator)
    response = client.post(
        "/jobs/new/", job_form(command="etl --since {cursor}", concurrency="allow")
    )
    assert "This job uses a cursor, so its runs cannot overlap" in response.content.decode()
    assert not Job.objects.exists()
    response = client.post("/jobs/new/", job_form(command="etl --since {cursor}"))
    assert Job.objects.get().concurrency == "skip"


def test_a_hand_edit_of_the_cursor_is_audited(client, operator, viewer, make_job) -> None:
    job = make_job("etl", cursor="100", owner=operator)
    client.force_login(viewer)
    assert client.post(f"/jobs/{job.id}/cursor/", {"cursor": "0"}).status_code == 403
    client.force_login(operator)
    client.post(f"/jobs/{job.id}/cursor/", {"cursor": "250"})
    job.refresh_from_db()
    assert job.cursor == "250"
    event = AuditEvent.objects.get(action="job.cursor")
    assert (event.before, event.after, event.actor) == (
        {"cursor": "100"},
        {"cursor": "250"},
        operator,
    )


def test_run_now_with_a_temporary_cursor_leaves_the_job_cursor(client, operator, make_job) -> None:
    job = make_job("etl", cursor="100", owner=operator)
    client.force_login(operator)
    client.post(f"/jobs/{job.id}/run/", {"args": "", "cursor": "42"})
    run = Run.objects.get()
    assert run.cursor_start == "42"
    job.refresh_from_db()
    assert job.cursor == "100"
    assert AuditEvent.objects.get(action="run.manual").after["cursor"] == "42"


def test_run_now_on_a_skip_job_with_an_active_run_is_recorded_skipped(
    client, operator, make_job
) -> None:
    job = make_job("etl", concurrency="skip", owner=operator)
    active = Run.objects.create(job=job, trigger="schedule", state="running")
    client.force_login(operator)
    response = client.post(f"/jobs/{job.id}/run/", {"args": ""}, follow=True)
    run = Run.objects.exclude(pk=active.pk).get()
    assert (run.state, run.reason) == ("skipped", f"skipped: run {active.id} still active")
    assert f"skipped: run {active.id} still active" in response.content.decode()


def test_saving_the_form_unchanged_leaves_no_audit_entry(client, operator, make_job) -> None:
    job = make_job("nightly", command="echo hi", owner=operator)
    client.force_login(operator)
    assert client.post(f"/jobs/{job.id}/edit/", job_form()).status_code == 302
    assert not AuditEvent.objects.filter(action="job.update").exists()
    client.post(f"/jobs/{job.id}/edit/", job_form(retries="2"))
    event = AuditEvent.objects.get(action="job.update")
    assert (event.before, event.after) == ({"retries": 0}, {"retries": 2})


def test_the_form_keeps_what_it_does_not_show(client, operator, make_job) -> None:
    job = make_job("nightly", command="echo hi", owner=operator)
    Job.objects.filter(pk=job.pk).update(retry_backoff_max=99, alert_routing={"channels": [7]})
    client.force_login(operator)
    client.post(f"/jobs/{job.id}/edit/", job_form(command="echo new"))
    job.refresh_from_db()
    assert (job.command, job.retry_backoff_max, job.alert_routing) == (
        "echo new",
        99,
        {"channels": [7]},
    )
    assert job.owner == operator
