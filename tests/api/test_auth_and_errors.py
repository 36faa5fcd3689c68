"""Every API call needs a caller; errors share one JSON shape; the browser session works
with CSRF for writes."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from octopus.api.app import api
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def every_operation() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, methods in schema["paths"].items()
        for method in methods
    ]


def test_every_operation_refuses_an_anonymous_caller(client) -> None:
    operations = every_operation()
    assert len(operations) >= 16
    for method, path in operations:
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 401, (method, path, response.content)
        assert response.json()["error"] == "authentication required"


def test_an_anonymous_write_hears_401_not_a_csrf_refusal() -> None:
    """A browser's CSRF rule is for sessions: a caller with neither token nor session is
    simply not authenticated (as a real client sees it: CSRF checks on)."""
    anonymous = Client(enforce_csrf_checks=True)
    for method, path in every_operation():
        if method in ("GET", "HEAD"):
            continue
        response = anonymous.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 401, (method, path, response.content)
        assert response.json()["error"] == "authentication required"


def test_every_operation_declares_the_security_schemes() -> None:
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation.get("security"), (method, path)


def test_the_schema_and_docs_need_a_caller(client, api_as, viewer) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 401
    assert client.get("/api/v1/docs").status_code == 302
    token_api = api_as(viewer)
    schema = client.get("/api/v1/openapi.json", headers=token_api.headers)
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Octopus API"
    client.force_login(viewer)
    assert client.get("/api/v1/docs").status_code == 200


def test_a_session_reads_and_writes_only_with_csrf(operator) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.get("/api/v1/jobs").status_code == 200
    body = {"name": "nightly", "command": "echo hi"}
    refused = browser.post("/api/v1/jobs", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"] == "CSRF check Failed"
    browser.get("/jobs/")  # sets the CSRF cookie, as the pages do
    token = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/v1/jobs", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201


def test_a_token_needs_no_csrf(api_as, operator) -> None:
    client = Client(enforce_csrf_checks=True)
    response = Api(client, None)
    response.headers = api_as(operator).headers
    assert response.post("/jobs", {"name": "n", "command": "c"}).status_code == 201


def test_malformed_json_is_a_400(api_as, operator) -> None:
    api_client = api_as(operator)
    response = api_client.client.post(
        "/api/v1/jobs", "{not json", content_type="application/json", headers=api_client.headers
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Cannot parse request body", "detail": None}


def test_a_missing_object_is_a_404_in_the_same_shape(api_as, viewer) -> None:
    api_client = api_as(viewer)
    for path in ("/jobs/999", "/runs/999", "/runs/999/logs"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json()["error"].endswith("999 not found")


def test_an_id_out_of_range_is_a_422_not_a_crash(api_as, viewer) -> None:
    response = api_as(viewer).get("/runs/99999999999999999999")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "run_id"


def test_lists_page_with_next_links(api_as, viewer, make_job) -> None:
    for n in range(5):
        make_job(f"job-{n}")
    api_client = api_as(viewer)
    first = api_client.get("/jobs", limit=2).json()
    assert (first["count"], len(first["items"])) == (5, 2)
    assert first["next"].endswith("/api/v1/jobs?limit=2&offset=2")
    names = [job["name"] for job in first["items"]]
    url = first["next"]
    while url:
        page = api_client.client.get(url, headers=api_client.headers).json()
        names += [job["name"] for job in page["items"]]
        url = page["next"]
    assert names == [f"job-{n}" for n in range(5)]
    assert api_client.get("/jobs", limit=0).status_code == 422
    assert api_client.get("/jobs", limit=501).status_code == 422
