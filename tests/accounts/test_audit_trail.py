"""The audit trail page: who, when, from where, what changed; filterable and paginated."""

from __future__ import annotations

import pytest

from octopus.accounts import audit
from octopus.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_shows_a_change_as_before_and_after(client, admin_user, operator, make_job) -> None:
    job = make_job("nightly", command="echo old", owner=operator)
    client.force_login(operator)
    client.post(f"/jobs/{job.id}/cursor/", {"cursor": "250"}, REMOTE_ADDR="192.0.2.4")
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "job.cursor" in page and "oscar" in page and "192.0.2.4" in page
    assert "<del>∅</del>" in page and "<ins>250</ins>" in page


def test_it_filters_by_actor_action_object_and_time(client, admin_user, operator, make_job) -> None:
    job = make_job("nightly")
    audit.record("job.update", actor=operator, obj=job, before={"a": 1}, after={"a": 2})
    audit.record("run.manual", actor=admin_user, obj=job, after={"run": 1})
    audit.record("user.login_failed", after={"username": "mallory"})
    client.force_login(admin_user)

    def rows(**params) -> str:
        return client.get(
            "/audit/", params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results"
        ).content.decode()

    assert rows(actor="oscar").count("<tr>") == 2  # header + one event
    assert "job.update" in rows(action="job") and "run.manual" not in rows(action="job")
    assert "mallory" in rows(action="user.login_failed")
    assert rows(object="nightly").count("<tr>") == 3
    assert "No event matches these filters." in rows(start="2999-01-01T00:00")
    assert rows(end="2999-01-01T00:00").count("<tr>") == 1 + AuditEvent.objects.count()


def test_it_pages_fifty_events_at_a_time(client, admin_user) -> None:
    AuditEvent.objects.bulk_create(AuditEvent(action="job.update") for _ in range(120))
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "Page 1 of 3" in page
    last = client.get("/audit/", {"page": 3}).content.decode()
    assert last.count("</span></td>\n      <td>") == AuditEvent.objects.count() - 100
