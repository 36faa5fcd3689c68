"""The alerts page: login, filters, acknowledge and resolve (htmx), audit, nav count."""

from __future__ import annotations

import pytest
from django.utils import timezone

from octopus.accounts.models import AuditEvent
from octopus.alerts import by_hand, rules
from octopus.alerts.models import Alert, Delivery
from octopus.web.alert_badge import open_alert_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(make_job, make_worker):
    etl, web = make_job("etl"), make_job("web")
    return {
        "etl": rules.raise_alert("run_failed", job=etl, title="etl failed: exit code 1"),
        "web": rules.raise_alert("log_level", job=web, title="web logged error lines"),
        "w1": rules.raise_alert("worker_offline", worker=make_worker("w1"), title="w1 offline"),
    }


def test_alert_pages_need_a_login(client, alerts) -> None:
    for path in ("/alerts/", f"/alerts/{alerts['etl'].pk}/", "/alerts/channels/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/login/")
    assert client.post(f"/alerts/{alerts['etl'].pk}/acknowledge/").status_code == 302


def test_the_list_filters_by_state_kind_and_job(client, viewer, alerts, admin_user) -> None:
    by_hand.resolve(alerts["w1"], admin_user)
    client.force_login(viewer)
    page = client.get("/alerts/").content.decode()
    assert "etl failed: exit code 1" in page and "web logged error lines" in page
    assert "w1 offline" not in page  # unresolved only, by default
    assert "w1 offline" in client.get("/alerts/?state=resolved").content.decode()
    assert "w1 offline" in client.get("/alerts/?state=all").content.decode()
    page = client.get("/alerts/?kind=log_level").content.decode()
    assert "web logged" in page and "etl failed" not in page
    page = client.get("/alerts/?job=etl").content.decode()
    assert "etl failed" in page and "web logged" not in page
    # A job's name matches exactly, as in the API (not a part of it).
    assert "etl failed" not in client.get("/alerts/?job=et").content.decode()
    # A bad filter value is ignored with the defaults, not an error.
    assert client.get("/alerts/?state=bogus&kind=nope").status_code == 200


def test_a_viewer_sees_no_buttons_and_may_not_act(client, viewer, alerts) -> None:
    client.force_login(viewer)
    page = client.get("/alerts/").content.decode()
    assert "/acknowledge/" not in page and "/resolve/" not in page
    assert client.post(f"/alerts/{alerts['etl'].pk}/acknowledge/").status_code == 403
    assert client.post(f"/alerts/{alerts['etl'].pk}/resolve/").status_code == 403
    assert Alert.objects.get(pk=alerts["etl"].pk).state == "open"


def test_an_operator_acknowledges_then_resolves_with_htmx_and_it_is_audited(
    client, operator, alerts
) -> None:
    client.force_login(operator)
    alert = alerts["etl"]
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    row = response.content.decode()
    assert row.strip().startswith(f'<tr id="alert-{alert.pk}">')
    assert "Acknowledged" in row and "by oscar" in row
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", operator)
    # Acknowledging twice changes nothing and audits nothing more.
    client.post(f"/alerts/{alert.pk}/acknowledge/", headers={"HX-Request": "true"})
    event = AuditEvent.objects.get(action="alert.acknowledge")
    assert (event.actor, event.before, event.after) == (
        operator,
        {"state": "open"},
        {"state": "acknowledged"},
    )

    response = client.post(f"/alerts/{alert.pk}/resolve/")  # without htmx: a redirect
    assert response.status_code == 302 and response.url == f"/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.resolution) == (
        "resolved",
        operator,
        "resolved by oscar",
    )
    assert AuditEvent.objects.get(action="alert.resolve").after == {"state": "resolved"}
    assert not Delivery.objects.filter(event="recovery").exists()  # the person knows


def test_the_detail_page_shows_deliveries_and_their_errors(
    client, viewer, make_job, make_channel
) -> None:
    channel = make_channel("webhook", name="ops-hook", config={"url": "http://127.0.0.1:9/x"})
    alert = rules.raise_alert("run_failed", job=make_job("etl"), title="etl failed")
    Delivery.objects.update(status="failed", attempts=5, last_error="HTTP 500: boom")
    channel.last_error, channel.last_error_at = "HTTP 500: boom", timezone.now()
    channel.save()
    client.force_login(viewer)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "ops-hook" in page and "HTTP 500: boom" in page and "5 / " in page
    listing = client.get("/alerts/").content.decode()
    assert "1 failed" in listing
    assert "Notifications are failing" in listing and "HTTP 500: boom" in listing
    assert "127.0.0.1:9" not in listing + page  # the channel's URL is not shown


def test_the_nav_shows_the_open_count_and_the_dashboard_counts(client, viewer, alerts) -> None:
    client.force_login(viewer)
    page = client.get("/jobs/").content.decode()
    assert '<span class="badge" id="open-alert-count" title="open alerts">3</span>' in page
    by_hand.acknowledge(alerts["web"], viewer)
    counts = open_alert_counts()
    assert (counts["open"], counts["acknowledged"]) == (2, 1)
    assert counts["by_kind"] == {"run_failed": 1, "log_level": 1, "worker_offline": 1}
    assert 'id="open-alert-count" title="open alerts">2<' in client.get("/jobs/").content.decode()
    for alert in alerts.values():
        by_hand.resolve(alert, viewer)
    page = client.get("/alerts/").content.decode()
    assert 'id="open-alert-count" title="open alerts" hidden>0<' in page
    assert '<span class="sub" id="alert-counts">0 open · 0 acknowledged</span>' in page


def test_an_unknown_alert_is_a_404(client, operator) -> None:
    client.force_login(operator)
    assert client.get("/alerts/999/").status_code == 404
    assert client.post("/alerts/999/acknowledge/").status_code == 404


def test_the_detail_page_says_when_the_summary_goes_out(client, viewer, make_job) -> None:
    job = make_job("etl")
    for _ in range(5):
        alert = rules.raise_alert("run_failed", job=job, title="etl failed")
    client.force_login(viewer)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "1 message round sent, covering 1 of 5 occurrences." in page
    assert "The other 4 go out as one summary at" in page


def test_the_alerts_nav_link_is_active_on_alert_pages_only(client, operator, make_job) -> None:
    job = make_job("etl")
    client.force_login(operator)
    active = 'class="active">Alerts'
    assert active in client.get("/alerts/").content.decode()
    assert active not in client.get(f"/jobs/{job.pk}/alerts/").content.decode()
