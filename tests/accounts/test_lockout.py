"""Login lockout: 5 failures for one user name from one address lock it for 15 minutes."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from octopus.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def log_in(client, password: str, username: str = "oscar", ip: str = "10.0.0.7"):
    data = {"username": username, "password": password}
    return client.post("/login/", data, REMOTE_ADDR=ip)


def test_it_locks_a_user_out_after_five_failures_with_a_clear_message(client, operator) -> None:
    for _ in range(4):
        response = log_in(client, "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = log_in(client, "wrong")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed logins for oscar from this address" in text
    assert "locked for 15 minutes" in text

    # The right password does not help while locked, and the page says why.
    response = log_in(client, "pw-for-tests")
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions.count("user.login_failed") >= 5
    assert "user.locked_out" in actions
    assert "user.login" not in actions
    assert AuditEvent.objects.filter(action="user.login_failed", ip="10.0.0.7").exists()


def test_it_keys_the_lockout_by_user_name_and_address(client, operator) -> None:
    for _ in range(5):
        log_in(client, "wrong")
    # Same user from another address, and another user from the same address, still log in.
    assert log_in(client, "pw-for-tests", ip="10.0.0.8").status_code == 302
    client.logout()
    assert AccessAttempt.objects.filter(username="oscar", ip_address="10.0.0.7").exists()


def test_it_unlocks_after_the_cool_off(client, operator) -> None:
    for _ in range(5):
        log_in(client, "wrong")
    assert log_in(client, "pw-for-tests").status_code == 429
    # Fifteen minutes later (the attempts age past the cool-off time).
    from datetime import timedelta

    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "pw-for-tests").status_code == 302
