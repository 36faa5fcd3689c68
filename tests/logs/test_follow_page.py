"""The page that follows a job live, run after run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_follows_the_job_over_its_websocket(client, viewer, make_job) -> None:
    job = make_job("nightly")
    client.force_login(viewer)
    page = client.get(f"/jobs/{job.id}/live/").content.decode()
    assert f'data-ws="/ws/jobs/{job.id}/follow"' in page
    assert 'data-follow="job"' in page
    assert f'href="/jobs/{job.id}/live/"' in client.get(f"/jobs/{job.id}/").content.decode()


def test_it_needs_a_login_and_an_existing_job(client, viewer, make_job) -> None:
    job = make_job("nightly")
    assert client.get(f"/jobs/{job.id}/live/").status_code == 302
    client.force_login(viewer)
    assert client.get("/jobs/999999/live/").status_code == 404
