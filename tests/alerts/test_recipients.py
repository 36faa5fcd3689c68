"""Per-job routing: which channels and people get a job's alerts; default channels
otherwise. Set on the job's alert routing page (operators), audited."""

from __future__ import annotations

import pytest

from octopus.accounts.models import AuditEvent
from octopus.alerts import rules
from octopus.alerts.models import Delivery

pytestmark = pytest.mark.django_db


def test_jobs_without_routing_go_to_the_default_channels(make_job, make_channel) -> None:
    default = make_channel("slack", name="default", is_default=True, config={"url": "u"})
    make_channel("slack", name="other", is_default=False, config={"url": "u"})
    make_channel("slack", name="off", is_default=True, enabled=False, config={"url": "u"})
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    assert [d.channel for d in Delivery.objects.all()] == [default]


def test_a_job_routed_to_its_own_channels_and_people(
    client, operator, make_job, make_channel, make_user
) -> None:
    make_channel("slack", name="default", is_default=True, config={"url": "u"})
    team = make_channel("wecom", name="team", is_default=False, config={"url": "u"})
    olga = make_user("olga")
    olga.email = "olga@example.com"
    olga.save()
    job = make_job("etl", owner=operator)
    client.force_login(operator)
    page = client.get(f"/jobs/{job.pk}/alerts/").content.decode()
    assert "team" in page and "olga" in page
    response = client.post(
        f"/jobs/{job.pk}/alerts/",
        {"channels": [team.pk], "users": [olga.pk], "alert_level": "warn"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.alert_routing == {"channels": [team.pk], "users": [olga.pk]}
    assert job.alert_level == "warn"
    event = AuditEvent.objects.get(action="job.update")
    assert event.after == {
        "alert_routing": {"channels": [team.pk], "users": [olga.pk]},
        "alert_level": "warn",
    }
    rules.raise_alert("run_failed", job=job, title="failed")
    assert sorted(d.recipient for d in Delivery.objects.all()) == ["olga@example.com", "team"]


def test_clearing_the_routing_falls_back_to_the_defaults(client, operator, make_job) -> None:
    job = make_job("etl", alert_routing={"channels": [1], "users": []}, owner=operator)
    client.force_login(operator)
    client.post(f"/jobs/{job.pk}/alerts/", {"alert_level": "error"})
    job.refresh_from_db()
    assert job.alert_routing == {}


def test_routing_needs_an_operator_and_valid_choices(client, viewer, operator, make_job) -> None:
    job = make_job("etl", owner=operator)
    client.force_login(viewer)
    assert client.get(f"/jobs/{job.pk}/alerts/").status_code == 403
    client.force_login(operator)
    response = client.post(f"/jobs/{job.pk}/alerts/", {"channels": [999], "alert_level": "loud"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice. 999 is not one of the available choices." in page
    assert "Select a valid choice. loud is not one of the available choices." in page
    job.refresh_from_db()
    assert (job.alert_routing, job.alert_level) == ({}, "error")
