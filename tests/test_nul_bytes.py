"""NUL characters in a request get a clear 400 on every database, never a server error."""

from __future__ import annotations

import pytest

from octopus.jobs.models import Job
from tests.e2e.octopus_process import JOB_DEFAULTS

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_query_string_is_refused(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.get("/api/v1/audit", {"action": "x\x00y"})
    assert response.status_code == 400
    assert response.json()["error"] == "NUL characters (0x00) are not allowed in requests"
    assert client.get("/runs/", {"job": "\x00"}).status_code == 400


def test_a_nul_in_a_form_or_json_body_is_refused_by_validation(client, admin_user) -> None:
    client.force_login(admin_user)
    form = {**JOB_DEFAULTS, "name": "nul", "command": "echo a\x00b"}
    assert "Null characters are not allowed" in client.post("/jobs/new/", form).content.decode()
    response = client.post(
        "/api/v1/jobs",
        '{"name": "nul", "command": "echo a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Job.objects.exists()


def test_percent_zero_zero_in_a_json_command_is_fine(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/jobs",
        '{"name": "padded", "command": "printf %005d 42"}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Job.objects.get().command == "printf %005d 42"


def test_a_nul_in_an_alert_routing_key_is_refused_on_change_and_apply(
    client, admin_user, make_job
) -> None:
    # PostgreSQL's jsonb refuses \u0000: the spec refuses it first, on every database.
    job = make_job("routed", alert_routing={"channels": [1]})
    client.force_login(admin_user)
    routing = '{"alert_routing": {"chan\\u0000nels": [1]}}'
    response = client.patch(f"/api/v1/jobs/{job.id}", routing, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "alert_routing"
    applied = client.post(
        "/api/v1/jobs/apply",
        '{"jobs": [{"name": "routed", "command": "echo hi", ' + routing[1:-1] + "}]}",
        content_type="application/json",
    )
    assert applied.status_code == 422
    assert "must not contain NUL" in applied.json()["detail"][0]["message"]
    job.refresh_from_db()
    assert job.alert_routing == {"channels": [1]}
