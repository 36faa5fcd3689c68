"""/api/v1/jobs: list, read, create, change, delete, enable/disable, run now; who may."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.jobs.models import Job
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def test_it_creates_a_job_owned_by_the_caller_and_audits_it(api_as, operator) -> None:
    response = api_as(operator).post(
        "/jobs",
        {
            "name": "nightly",
            "command": "backup {args}",
            "schedule": "0 2 * * *",
            "time_zone": "Asia/Shanghai",
            "default_args": ["--full"],
            "env": {"TARGET": "s3"},
            "tags": ["backup"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    job = Job.objects.get(name="nightly")
    assert (body["id"], body["owner"], body["default_args"]) == (job.id, "oscar", ["--full"])
    assert body["next_fire_at"].endswith(":00Z") and job.next_fire_at is not None
    event = AuditEvent.objects.get(action="job.create")
    assert (event.actor, event.ip, event.after["schedule"]) == (operator, "127.0.0.1", "0 2 * * *")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"schedule": "61 * * * *"}, "schedule", "Invalid schedule: bad minute field '61'"),
        ({"schedule": "* * *"}, "schedule", "Invalid schedule: expected 5 fields"),
        ({"schedule": "@reboot"}, "schedule", "@reboot is not supported"),
        ({"name": "has space"}, "name", "Use letters, digits, '.', '_' and '-' only"),
        ({"command": "  "}, "command", "This field is required."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone 'Mars/Olympus'"),
        ({"env": {"1BAD": "x"}}, "env", "'1BAD' is not a valid environment variable name"),
        ({"max_parallel": 0}, "max_parallel", "greater than or equal to 1"),
        ({"routing": "sideways"}, "routing", "Input should be 'first'"),
        ({"timeout": -1}, "timeout", "greater than or equal to 0"),
        ({"schedul": "* * * * *"}, "schedul", "Extra inputs are not permitted"),
        ({"command": "echo \x00"}, "command", "must not contain NUL"),
        ({"alert_routing": {"chan\x00nels": [1]}}, "alert_routing", "must not contain NUL"),
        ({"target_worker": "nowhere"}, "target_worker", "There is no worker named 'nowhere'."),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api_as, operator, body, field, message) -> None:
    response = api_as(operator).post("/jobs", {"name": "nightly", "command": "echo hi", **body})
    assert response.status_code == 422, response.json()
    error = response.json()
    assert error["error"].startswith(f"{field}: ")
    assert error["detail"][0]["field"] == field
    assert message in error["detail"][0]["message"]
    assert not Job.objects.exists()


def test_a_taken_name_is_a_422(api_as, operator, make_job) -> None:
    make_job("nightly", owner=operator)
    response = api_as(operator).post("/jobs", {"name": "nightly", "command": "echo"})
    assert response.status_code == 422
    assert response.json()["error"] == "name: A job named 'nightly' already exists."


def test_it_lists_with_filters(api_as, viewer, make_job, make_worker) -> None:
    worker = make_worker("w1")
    make_job("alpha", command="echo a", tags=["etl"], target_worker=worker)
    make_job("beta", command="rsync b", enabled=False)
    make_job("gamma", command="echo g", tags=["etl", "daily"])
    api = api_as(viewer)

    def names(**query) -> list[str]:
        return [job["name"] for job in api.get("/jobs", **query).json()["items"]]

    assert names() == ["alpha", "beta", "gamma"]
    assert names(q="rsync") == ["beta"]
    assert names(name="gamma") == ["gamma"]
    assert names(tag="etl") == ["alpha", "gamma"]
    assert names(enabled="false") == ["beta"]
    assert names(worker="w1") == ["alpha"]


def test_the_list_shows_each_jobs_last_run(api_as, viewer, make_job) -> None:
    ran, idle = make_job("ran"), make_job("idle")
    Run.objects.create(job=ran, trigger="manual", state="failed")
    latest = Run.objects.create(job=ran, trigger="manual", state="succeeded")
    Run.objects.create(job=ran, trigger="schedule", state="skipped")
    items = api_as(viewer).get("/jobs").json()["items"]
    last = {job["name"]: job["last_run"] for job in items}
    assert last["idle"] is None
    assert (last["ran"]["id"], last["ran"]["state"]) == (latest.id, "succeeded")
    assert last["ran"]["created"].endswith("Z")
    assert idle.id in [job["id"] for job in items]


def test_it_reads_one_job_with_its_last_run(api_as, viewer, make_job) -> None:
    job = make_job("nightly", schedule="*/5 * * * *")
    run = Run.objects.create(job=job, trigger="manual", state="succeeded")
    body = api_as(viewer).get(f"/jobs/{job.id}").json()
    assert (body["name"], body["schedule"], body["last_run"]["id"]) == (
        "nightly",
        "*/5 * * * *",
        run.id,
    )


def test_patch_changes_only_what_is_given_and_audits_before_after(
    api_as, operator, make_job
) -> None:
    job = make_job("nightly", owner=operator, command="echo old", schedule="0 1 * * *")
    response = api_as(operator).patch(f"/jobs/{job.id}", {"command": "echo new"})
    assert response.status_code == 200
    job.refresh_from_db()
    assert (job.command, job.schedule) == ("echo new", "0 1 * * *")
    event = AuditEvent.objects.get(action="job.update")
    assert (event.before, event.after) == ({"command": "echo old"}, {"command": "echo new"})


def test_patch_checks_the_merged_settings(api_as, operator, make_job) -> None:
    job = make_job("nightly", owner=operator, schedule="0 1 * * *")
    api = api_as(operator)
    response = api.patch(f"/jobs/{job.id}", {"schedule": "0 99 * * *"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "schedule"
    assert api.patch(f"/jobs/{job.id}", {"command": None}).status_code == 422
    assert api.patch(f"/jobs/{job.id}", {"bogus": 1}).status_code == 422
    job.refresh_from_db()
    assert job.schedule == "0 1 * * *"
    assert not AuditEvent.objects.filter(action="job.update").exists()


def test_enable_and_disable_reschedule_and_audit(api_as, operator, make_job) -> None:
    job = make_job("nightly", owner=operator, schedule="0 1 * * *")
    api = api_as(operator)
    disabled = api.post(f"/jobs/{job.id}/disable").json()
    assert (disabled["enabled"], disabled["next_fire_at"]) == (False, None)
    enabled = api.post(f"/jobs/{job.id}/enable").json()
    assert enabled["enabled"] is True and enabled["next_fire_at"] is not None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["job.disable", "job.enable"]


def test_delete_removes_the_job_and_audits_it(api_as, operator, make_job) -> None:
    job = make_job("nightly", owner=operator)
    Run.objects.create(job=job, trigger="manual", state="succeeded")
    response = api_as(operator).delete(f"/jobs/{job.id}")
    assert response.status_code == 204
    assert not Job.objects.exists() and not Run.objects.exists()
    assert AuditEvent.objects.get(action="job.delete").before["name"] == "nightly"


def test_delete_refuses_a_job_with_runs_in_flight(api_as, operator, make_job) -> None:
    job = make_job("nightly", owner=operator)
    Run.objects.create(job=job, trigger="manual", state="running")
    response = api_as(operator).delete(f"/jobs/{job.id}")
    assert response.status_code == 409
    assert "1 run(s) in flight" in response.json()["error"]
    assert Job.objects.exists()


def test_run_now_queues_an_api_run_with_temporary_args_and_cursor(
    api_as, operator, make_job
) -> None:
    job = make_job("etl", owner=operator, default_args=["--all"], cursor="100")
    response = api_as(operator).post(
        f"/jobs/{job.id}/runs", {"args": ["--only", "a b"], "cursor": "42"}
    )
    assert response.status_code == 201
    run = Run.objects.get()
    assert response.json()["id"] == run.id
    assert (run.trigger, run.args, run.cursor_start, run.triggered_by) == (
        "api",
        ["--only", "a b"],
        "42",
        operator,
    )
    job.refresh_from_db()
    assert (job.default_args, job.cursor) == (["--all"], "100")
    assert AuditEvent.objects.get(action="run.manual").after == {
        "run": run.id,
        "args": ["--only", "a b"],
        "cursor": "42",
    }


def test_run_now_without_args_takes_the_defaults(api_as, operator, make_job) -> None:
    job = make_job("etl", owner=operator, default_args=["--all"])
    assert api_as(operator).post(f"/jobs/{job.id}/runs").json()["args"] == ["--all"]


def test_a_viewer_reads_but_cannot_change_anything(api_as, viewer, make_job) -> None:
    job = make_job("nightly", command="echo hi")
    api = api_as(viewer)
    assert api.get("/jobs").status_code == 200
    assert api.get(f"/jobs/{job.id}").status_code == 200
    refusals = [
        api.post("/jobs", {"name": "new", "command": "echo"}),
        api.patch(f"/jobs/{job.id}", {"command": "rm -rf /"}),
        api.delete(f"/jobs/{job.id}"),
        api.post(f"/jobs/{job.id}/disable"),
        api.post(f"/jobs/{job.id}/enable"),
        api.post(f"/jobs/{job.id}/runs"),
        api.post("/jobs/apply", {"jobs": [{"name": "new", "command": "echo"}]}),
    ]
    for response in refusals:
        assert response.status_code == 403, response.json()
        assert response.json()["error"].startswith("you may not")
    job.refresh_from_db()
    assert (job.command, job.enabled) == ("echo hi", True)
    assert Job.objects.count() == 1 and not Run.objects.exists()
    assert not AuditEvent.objects.exists()
