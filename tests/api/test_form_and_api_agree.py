"""One validation for jobs: what the job page refuses, the API refuses, with the same words
(both go through octopus/jobs/changes.py)."""

from __future__ import annotations

import pytest

from octopus.jobs.models import Job
from tests.e2e.octopus_process import JOB_DEFAULTS

pytestmark = pytest.mark.django_db


def job_form(**fields) -> dict:
    return {**JOB_DEFAULTS, "name": "nightly", "command": "echo hi", **fields}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "two words"}, "name", "Use letters, digits"),
        ({"schedule": "99 * * * *"}, "schedule", "Invalid schedule"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"command": "etl {cursor}", "concurrency": "allow"}, "concurrency", "uses a cursor"),
        ({"target_worker": "nobody"}, "target_worker", "no worker named"),
    ],
)
def test_the_form_and_the_api_refuse_the_same_jobs_alike(
    client, operator, api_as, fields, field, message
) -> None:
    client.force_login(operator)
    # (The page offers only workers and time zones that exist: only the API can name another.)
    chosen_from_a_list = field in ("target_worker", "time_zone")
    page = None if chosen_from_a_list else client.post("/jobs/new/", job_form(**fields))
    body = {"name": "nightly", "command": "echo hi", **fields}
    answer = api_as(operator).post("/jobs", body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == field
    assert message in answer.json()["error"]
    if page is not None:
        assert message in page.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"retries": str(2**31)}, "retries"),
        ({"timeout": str(2**40)}, "timeout"),
        ({"target_labels_text": "x" * 100}, "target_labels_text"),
        ({"command": "echo " + "x" * 1_000_000}, "command"),
    ],
)
def test_the_form_refuses_what_the_api_refuses(client, operator, fields, field) -> None:
    """A job the page saved but the API refused got 422 on every PATCH and broke export →
    apply for the whole file."""
    client.force_login(operator)
    response = client.post("/jobs/new/", job_form(**fields))
    assert response.status_code == 200  # the form again, with the error on the field
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Job.objects.exists()
