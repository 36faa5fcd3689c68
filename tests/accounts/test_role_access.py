"""Each role on every page and POST: refusals come from the server, not from hidden buttons."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from octopus.accounts.models import AuditEvent
from octopus.jobs.models import Job
from octopus.runs.models import Run
from tests.e2e.octopus_process import JOB_DEFAULTS

pytestmark = pytest.mark.django_db


def form(**fields) -> dict:
    return {**JOB_DEFAULTS, "name": "job", "command": "echo hi", **fields}


def job_posts(job: Job, run: Run) -> dict[str, dict]:
    """Every state-changing POST a button on a job or run page sends."""
    return {
        f"/jobs/{job.id}/edit/": form(name=job.name, command="echo changed"),
        f"/jobs/{job.id}/run/": {"args": ""},
        f"/jobs/{job.id}/cursor/": {"cursor": "0"},
        f"/jobs/{job.id}/disable/": {},
        f"/jobs/{job.id}/enable/": {},
        f"/jobs/{job.id}/alerts/": {"alert_level": "warn"},
        f"/runs/{run.id}/rerun/": {},
        f"/runs/{run.id}/cancel/": {},
        f"/jobs/{job.id}/delete/": {},
    }


ADMIN_PAGES = ["/people/", "/people/new/", "/audit/", "/workers/enroll/", "/alerts/channels/"]
READ_PAGES = ["/", "/jobs/", "/runs/", "/workers/", "/alerts/"]


def test_it_lets_a_viewer_read_everything_and_change_nothing(client, viewer, make_job) -> None:
    job = make_job("nightly", cursor="7")
    run = Run.objects.create(job=job, trigger="manual", state="queued")
    client.force_login(viewer)
    for path in [*READ_PAGES, f"/jobs/{job.id}/", f"/runs/{run.id}/"]:
        assert client.get(path).status_code == 200, path
    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert "Run now" not in page and "Delete" not in page and "Edit" not in page
    for path in ["/jobs/new/", f"/jobs/{job.id}/clone/", *ADMIN_PAGES]:
        assert client.get(path).status_code == 403, path
    assert client.post("/jobs/new/", form(name="sneaky")).status_code == 403
    assert (
        client.post("/people/new/", {"username": "x", "password": "pw-123456789"}).status_code
        == 403
    )
    for path, data in job_posts(job, run).items():
        assert client.post(path, data).status_code == 403, path
    job.refresh_from_db()
    run.refresh_from_db()
    assert (job.command, job.cursor, job.enabled, run.state) == ("echo hi", "7", True, "queued")
    assert Run.objects.count() == 1 and Job.objects.count() == 1
    assert not AuditEvent.objects.exclude(action__startswith="user.").exists()


def test_it_lets_an_operator_change_own_and_group_jobs_but_not_others(
    client, operator, make_user, make_job
) -> None:
    olga = make_user("olga", "operator")
    team = Group.objects.create(name="etl")
    operator.groups.add(team)
    foreign = make_job("foreign", owner=olga)
    foreign_run = Run.objects.create(job=foreign, trigger="manual", state="queued")
    shared = make_job("shared", owner=olga, group=team)
    client.force_login(operator)

    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    page = client.get(f"/jobs/{foreign.id}/").content.decode()
    assert "Run now" not in page and "Delete" not in page
    for path, data in job_posts(foreign, foreign_run).items():
        assert client.post(path, data).status_code == 403, path
    assert Job.objects.filter(pk=foreign.pk, enabled=True, command="echo hi").exists()
    assert Run.objects.filter(job=foreign).count() == 1

    # The group's job: edit, run, disable.
    assert (
        client.post(
            f"/jobs/{shared.id}/edit/", form(name="shared", command="echo v2", group=team.pk)
        ).status_code
        == 302
    )
    assert client.post(f"/jobs/{shared.id}/run/", {"args": ""}).status_code == 302
    assert client.post(f"/jobs/{shared.id}/disable/").status_code == 302
    shared.refresh_from_db()
    assert (shared.command, shared.enabled) == ("echo v2", False)
    assert Run.objects.filter(job=shared, triggered_by=operator).count() == 1

    # A new job is the operator's own; a group may be given only from the operator's groups.
    bad = client.post("/jobs/new/", form(name="mine", group=Group.objects.create(name="ops").pk))
    assert "Select a valid choice" in bad.content.decode()
    assert client.post("/jobs/new/", form(name="mine", group=team.pk)).status_code == 302
    mine = Job.objects.get(name="mine")
    assert (mine.owner, mine.group) == (operator, team)
    assert client.post(f"/jobs/{mine.id}/delete/").status_code == 302
    assert not Job.objects.filter(name="mine").exists()


def test_it_lets_an_admin_do_everything(client, admin_user, make_user, make_job) -> None:
    olga = make_user("olga", "operator")
    job = make_job("theirs", owner=olga)
    run = Run.objects.create(job=job, trigger="manual", state="queued")
    client.force_login(admin_user)
    for path in [*READ_PAGES, *ADMIN_PAGES, f"/jobs/{job.id}/", f"/jobs/{job.id}/clone/"]:
        assert client.get(path).status_code == 200, path
    assert client.post(f"/runs/{run.id}/cancel/").status_code == 302
    assert (
        client.post(f"/jobs/{job.id}/edit/", form(name="theirs", owner=olga.pk)).status_code == 302
    )
    assert client.post(f"/jobs/{job.id}/disable/").status_code == 302
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.state == "cancelled" and not job.enabled and job.owner == olga
    assert (
        client.post(
            "/people/new/",
            {
                "username": "newbie",
                "role": "viewer",
                "password": "a-long-password-1",
                "is_active": "on",
            },
        ).status_code
        == 302
    )
    assert client.post(f"/jobs/{job.id}/delete/").status_code == 302
    assert not Job.objects.exists()
