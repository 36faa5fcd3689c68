"""Jobs as code over the API: export, and apply (create/update by name, prune, dry run),
all checked before anything changes."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.jobs.models import Job
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def names() -> list[str]:
    return list(Job.objects.order_by("name").values_list("name", flat=True))


def test_export_leaves_defaults_out(api_as, viewer, make_job) -> None:
    make_job("nightly", command="backup", schedule="0 2 * * *", env={"A": "1"}, cursor="77")
    assert api_as(viewer).get("/jobs/export").json() == {
        "jobs": [
            {"name": "nightly", "command": "backup", "schedule": "0 2 * * *", "env": {"A": "1"}}
        ]
    }


def test_apply_creates_updates_and_prunes_by_name(api_as, operator, make_job) -> None:
    make_job("keep", owner=operator, command="echo keep")
    make_job("change", owner=operator, command="echo old")
    make_job("drop", owner=operator, command="echo drop")
    result = (
        api_as(operator)
        .post(
            "/jobs/apply",
            {
                "jobs": [
                    {"name": "keep", "command": "echo keep"},
                    {"name": "change", "command": "echo new", "schedule": "@hourly"},
                    {"name": "add", "command": "echo add"},
                ],
                "prune": True,
            },
        )
        .json()
    )
    assert result == {
        "dry_run": False,
        "created": ["add"],
        "updated": [
            {
                "name": "change",
                "changes": {
                    "command": {"from": "echo old", "to": "echo new"},
                    "schedule": {"from": "", "to": "@hourly"},
                },
            }
        ],
        "deleted": ["drop"],
        "unchanged": ["keep"],
    }
    assert names() == ["add", "change", "keep"]
    assert Job.objects.get(name="add").owner == operator
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["job.create", "job.delete", "job.update"]


def test_without_prune_other_jobs_stay(api_as, operator, make_job) -> None:
    make_job("other", owner=operator)
    api_as(operator).post("/jobs/apply", {"jobs": [{"name": "add", "command": "echo"}]})
    assert names() == ["add", "other"]


def test_a_dry_run_reports_and_changes_nothing(api_as, operator, make_job) -> None:
    make_job("drop", owner=operator)
    result = (
        api_as(operator)
        .post(
            "/jobs/apply",
            {"jobs": [{"name": "add", "command": "echo"}], "prune": True, "dry_run": True},
        )
        .json()
    )
    assert (result["created"], result["deleted"], result["dry_run"]) == (["add"], ["drop"], True)
    assert names() == ["drop"]
    assert not AuditEvent.objects.exists()


def test_one_bad_entry_stops_the_whole_file(api_as, operator, make_job) -> None:
    make_job("drop", owner=operator)
    response = api_as(operator).post(
        "/jobs/apply",
        {
            "jobs": [
                {"name": "good", "command": "echo"},
                {"name": "bad", "command": "echo", "schedule": "* * * * * * *"},
            ],
            "prune": True,
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "jobs[1].schedule"
    assert names() == ["drop"]


def test_problems_found_against_the_database_are_all_listed(api_as, operator) -> None:
    response = api_as(operator).post(
        "/jobs/apply",
        {
            "jobs": [
                {"name": "a", "command": "echo"},
                {"name": "b", "command": "echo", "target_worker": "ghost"},
                {"name": "a", "command": "echo again"},
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "jobs[1].target_worker", "message": "b: There is no worker named 'ghost'."},
        {"field": "jobs[2].name", "message": "a: also used by entry 0"},
    ]
    assert names() == []


def test_prune_refuses_a_job_with_runs_in_flight(api_as, operator, make_job) -> None:
    busy = make_job("busy", owner=operator)
    Run.objects.create(job=busy, trigger="manual", state="running")
    response = api_as(operator).post(
        "/jobs/apply", {"jobs": [{"name": "add", "command": "echo"}], "prune": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "prune"
    assert names() == ["busy"]


def test_export_then_apply_on_an_empty_database_gives_the_same_jobs(
    api_as, operator, make_job, make_worker
) -> None:
    make_worker("w1")
    make_job(
        "full",
        command="etl {args} --from yesterday",
        description="every setting off its default",
        tags=["etl", "nightly"],
        default_args=["--fast"],
        schedule="*/30 9-17 * * 1-5",
        time_zone="Europe/Berlin",
        enabled=False,
        run_as="etl",
        target_worker=make_worker("w2"),
        target_labels=["python3.11"],
        routing="least_loaded",
        concurrency="allow",
        max_parallel=3,
        retries=2,
        retry_backoff=30,
        retry_backoff_kind="exponential",
        retry_backoff_max=600,
        timeout=3600,
        heartbeat_timeout=120,
        require_end_marker=True,
        misfire_policy="skip",
        env={"A": "1", "B": "two words"},
        workdir="/srv/etl",
        alert_level="warn",
    )
    make_job("plain", owner=operator)
    api = api_as(operator)
    exported = api.get("/jobs/export").json()
    Job.objects.all().delete()
    applied = api.post("/jobs/apply", exported).json()
    assert applied["created"] == ["full", "plain"]
    assert api.get("/jobs/export").json() == exported
