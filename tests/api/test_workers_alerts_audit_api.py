"""/api/v1/workers, /alerts (list, acknowledge) and /audit (admins only)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from octopus.accounts import audit
from octopus.accounts.models import AuditEvent
from octopus.alerts.models import Alert

pytestmark = pytest.mark.django_db


def make_alert(job=None, state="open", title="run 1 failed") -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        kind="run_failed", state=state, job=job, title=title, first_seen=now, last_seen=now
    )


def test_it_lists_workers_with_filters(api_as, viewer, make_worker) -> None:
    make_worker("w1", labels=["python3.11"])
    make_worker("w2", online=False)
    api = api_as(viewer)
    items = api.get("/workers").json()["items"]
    assert [(w["name"], w["state"], w["connected"]) for w in items] == [
        ("w1", "online", True),
        ("w2", "offline", False),
    ]
    assert [w["name"] for w in api.get("/workers", state="offline").json()["items"]] == ["w2"]
    assert [w["name"] for w in api.get("/workers", label="python3.11").json()["items"]] == ["w1"]
    assert "token_hash" not in items[0]


def test_it_lists_alerts_with_filters(api_as, viewer, make_job) -> None:
    job = make_job("nightly")
    make_alert(job)
    make_alert(job, state="resolved", title="old")
    api = api_as(viewer)
    assert [a["title"] for a in api.get("/alerts").json()["items"]] == ["old", "run 1 failed"]
    opened = api.get("/alerts", state="open", job="nightly").json()["items"]
    assert [(a["title"], a["job"], a["count"]) for a in opened] == [("run 1 failed", "nightly", 1)]


def test_an_operator_acknowledges_an_open_alert_once(api_as, operator, make_job) -> None:
    alert = make_alert(make_job("nightly"))
    api = api_as(operator)
    body = api.post(f"/alerts/{alert.id}/ack").json()
    assert (body["state"], body["acknowledged_by"]) == ("acknowledged", "oscar")
    assert body["acknowledged_at"] is not None
    again = api.post(f"/alerts/{alert.id}/ack")
    assert again.status_code == 409
    assert again.json()["error"] == f"alert {alert.id} is acknowledged, not open"
    event = AuditEvent.objects.get(action="alert.acknowledge")
    assert (event.actor, event.after) == (operator, {"state": "acknowledged"})


def test_a_viewer_cannot_acknowledge(api_as, viewer) -> None:
    alert = make_alert()
    assert api_as(viewer).post(f"/alerts/{alert.id}/ack").status_code == 403
    alert.refresh_from_db()
    assert alert.state == "open"


def test_only_an_admin_reads_the_audit_trail(api_as, admin_user, operator, viewer) -> None:
    audit.record("job.create", actor=operator, after={"name": "x"})
    audit.record("job.delete", actor=admin_user, before={"name": "y"})
    for user in (operator, viewer):
        response = api_as(user).get("/audit")
        assert response.status_code == 403
        assert "admin" in response.json()["error"]
    api = api_as(admin_user)
    events = api.get("/audit").json()
    assert [e["action"] for e in events["items"]] == ["job.delete", "job.create"]
    only = api.get("/audit", actor="oscar").json()["items"]
    assert [(e["actor"], e["after"]) for e in only] == [("oscar", {"name": "x"})]


def test_the_audit_api_filters_as_the_audit_page_does(api_as, admin_user, make_job) -> None:
    job = make_job("nightly")
    audit.record("job.update", actor=admin_user, obj=job, before={"a": 1}, after={"a": 2})
    audit.record("run.manual", actor=admin_user, obj=job, after={"run": 1})
    audit.record("user.login_failed", after={"username": "mallory"})
    api = api_as(admin_user)

    def actions(**params) -> list[str]:
        return [e["action"] for e in api.get("/audit", **params).json()["items"]]

    assert actions(action="job") == ["job.update"]  # a family: every job.* action
    assert actions(object="nightly") == ["run.manual", "job.update"]  # part of its name
    assert actions(object_type="job", object_id=str(job.pk)) == ["run.manual", "job.update"]
    assert actions(start="2999-01-01T00:00:00Z") == []
    assert len(actions(end="2999-01-01T00:00:00Z")) == AuditEvent.objects.count()


@pytest.mark.parametrize(
    "moment",
    ["0233-06-01T07:50:38+17:29", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
)
def test_an_audit_time_at_the_edge_of_the_calendar_is_no_server_error(
    api_as, admin_user, moment
) -> None:
    audit.record("job.create", actor=admin_user, after={"name": "x"})
    api = api_as(admin_user)
    for params in ({"start": moment}, {"end": moment}):
        response = api.get("/audit", **params)
        assert response.status_code == 200, (params, response.text)
