"""The jobs list: search, filters, sorting and pages, as a full page or an htmx fragment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.runs.models import Run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "job-results"}


def names(response) -> list[str]:
    import re

    return re.findall(r'<a href="/jobs/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def jobs(make_job, operator, make_worker):
    box = make_worker("box-1", labels=["python3.11"])
    now = timezone.now()
    etl = make_job(
        "etl-orders",
        tags=["etl", "日报"],
        owner=operator,
        target_labels=["python3.11"],
        schedule="0 * * * *",
        next_fire_at=now + timedelta(hours=1),
    )
    report = make_job(
        "report",
        command="python report.py",
        tags=["report"],
        target_worker=box,
        schedule="* * * * *",
        next_fire_at=now + timedelta(minutes=1),
    )
    backup = make_job("backup", enabled=False, description="nightly dump")
    Run.objects.create(job=etl, trigger="manual", state="failed")
    Run.objects.create(job=report, trigger="manual", state="failed")
    Run.objects.create(job=report, trigger="manual", state="succeeded")
    Run.objects.create(job=report, trigger="schedule", state="skipped")  # does not count
    return etl, report, backup


def test_it_filters_by_name_tag_owner_target_enabled_and_last_run(client, viewer, jobs) -> None:
    client.force_login(viewer)
    get = lambda **q: names(client.get("/jobs/", q, **HTMX))  # noqa: E731
    assert get(q="report") == ["report"]
    assert get(q="dump") == ["backup"]  # descriptions too
    assert get(tag="etl") == ["etl-orders"]
    assert get(tag="日报") == ["etl-orders"]
    assert get(owner="oscar") == ["etl-orders"]
    assert get(target="box-1") == ["report"]
    assert get(target="python3.11") == ["etl-orders"]
    assert get(enabled="no") == ["backup"]
    assert get(enabled="yes") == ["etl-orders", "report"]
    assert get(last="failed") == ["etl-orders"]
    assert get(last="succeeded") == ["report"]
    assert get(last="never") == ["backup"]
    assert get(tag="etl", last="succeeded") == []
    assert (
        "No job matches these filters."
        in client.get("/jobs/", {"q": "zzz"}, **HTMX).content.decode()
    )


def test_it_sorts_by_name_next_firing_and_last_run(client, viewer, jobs) -> None:
    client.force_login(viewer)
    get = lambda sort: names(client.get("/jobs/", {"sort": sort}, **HTMX))  # noqa: E731
    assert get("name") == ["backup", "etl-orders", "report"]
    assert get("-name") == ["report", "etl-orders", "backup"]
    assert get("next") == ["report", "etl-orders", "backup"]
    assert get("last") == ["report", "etl-orders", "backup"]
    assert get("bogus") == ["backup", "etl-orders", "report"]


def test_htmx_gets_only_the_results_and_the_page_keeps_the_filters(client, viewer, jobs) -> None:
    client.force_login(viewer)
    fragment = client.get("/jobs/", {"tag": "etl"}, **HTMX).content.decode()
    assert "<html" not in fragment and 'id="jobs"' in fragment
    page = client.get("/jobs/", {"tag": "etl", "q": "or"}).content.decode()
    assert "<html" in page and '<option value="etl" selected>etl</option>' in page
    assert 'value="or"' in page


def test_it_pages_twenty_five_jobs_at_a_time(client, viewer, make_job) -> None:
    for i in range(60):
        make_job(f"job-{i:02d}")
    client.force_login(viewer)
    first = client.get("/jobs/").content.decode()
    assert "Page 1 of 3" in first and 'hx-target="#job-results"' in first
    assert names(client.get("/jobs/", {"page": 3}, **HTMX))[0] == "job-50"


def test_a_firing_queued_ahead_is_still_shown_as_the_next_one(client, viewer, jobs) -> None:
    # The scheduler queues a firing 3 s early and moves next_fire_at past it: the list and
    # the dashboard show the second still to come, and sort by it.
    etl = jobs[0]
    now = timezone.now().replace(microsecond=0)
    second = now + timedelta(seconds=30)
    Run.objects.create(job=etl, trigger="schedule", scheduled_for=second, not_before=second)
    client.force_login(viewer)
    response = client.get("/jobs/", {"sort": "next"}, **HTMX)
    assert names(response) == ["etl-orders", "report", "backup"]
    assert f'datetime="{second.isoformat()}"' in response.content.decode()
    dashboard = client.get("/").content.decode().split('id="next-firings"')[1]
    assert dashboard.index(">etl-orders</a>") < dashboard.index(">report</a>")
    # It is not the job's last run yet, and the runs list shows it as upcoming.
    assert names(client.get("/jobs/", {"last": "failed"}, **HTMX)) == ["etl-orders"]
    api = client.get("/api/v1/jobs/" + str(etl.id)).json()
    assert api["last_run"]["state"] == "failed"
    assert api["next_fire_at"] == second.isoformat().replace("+00:00", "Z")
    listed = client.get("/api/v1/jobs", {"name": "etl-orders"}).json()["items"]
    assert listed[0]["next_fire_at"] == api["next_fire_at"]
    runs = client.get("/runs/").content.decode()
    assert '<span class="state queued">Upcoming</span>' in runs
