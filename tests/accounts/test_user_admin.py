"""The admin's user management: create, set role, groups, deactivate, all audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from octopus.accounts.models import AuditEvent, Profile

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_it_creates_a_user_with_a_role_and_groups(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/people/new/",
        {
            "username": "olga",
            "role": "operator",
            "groups": "etl, ops",
            "password": "long-pass-123",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    olga = User.objects.get(username="olga")
    assert olga.check_password("long-pass-123")
    assert Profile.objects.get(user=olga).role == "operator"
    assert sorted(olga.groups.values_list("name", flat=True)) == ["etl", "ops"]
    event = AuditEvent.objects.get(action="user.create")
    assert event.after == {
        "username": "olga",
        "role": "operator",
        "groups": "etl, ops",
        "active": True,
    }
    assert "long-pass" not in str(event.after)


def test_it_changes_role_groups_and_deactivates_with_before_and_after(
    client, admin_user, operator
) -> None:
    client.force_login(admin_user)
    response = client.post(
        f"/people/{operator.id}/", {"username": "oscar", "role": "viewer", "groups": "night"}
    )
    assert response.status_code == 302
    operator.refresh_from_db()
    assert not operator.is_active
    assert Profile.objects.get(user=operator).role == "viewer"
    event = AuditEvent.objects.get(action="user.update")
    assert event.before == {"role": "operator", "groups": "", "active": True}
    assert event.after == {"role": "viewer", "groups": "night", "active": False}
    # A deactivated user cannot log in.
    client.logout()
    assert (
        client.post("/login/", {"username": "oscar", "password": "pw-for-tests"}).status_code == 200
    )


def test_a_password_reset_is_audited_without_the_password(client, admin_user, operator) -> None:
    client.force_login(admin_user)
    client.post(
        f"/people/{operator.id}/",
        {
            "username": "oscar",
            "role": "operator",
            "password": "brand-new-pass-9",
            "is_active": "on",
        },
    )
    operator.refresh_from_db()
    assert operator.check_password("brand-new-pass-9")
    assert AuditEvent.objects.get(action="user.update").after == {"password": "changed"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "alice"}, "A user with that name already exists."),
        ({"username": "has space"}, "Use letters, digits and @ . + - _ only."),
        ({"password": "123"}, "This password is too short"),
        ({"username": "newbie-2026", "password": "newbie-2026"}, "too similar to the username"),
        ({"password": ""}, "This field is required."),
        ({"groups": "a/b"}, "is not a valid group name"),
        ({"role": "god"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(client, admin_user, fields, message) -> None:
    client.force_login(admin_user)
    data = {"username": "newbie", "role": "viewer", "password": "long-pass-123", **fields}
    response = client.post("/people/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username__startswith="newbie").exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_an_admin_cannot_lock_themselves_out(client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.post(
        f"/people/{admin_user.id}/", {"username": "alice", "role": "viewer", "is_active": "on"}
    )
    assert "You cannot demote or deactivate yourself." in response.content.decode()
    assert Profile.objects.get(user=admin_user).role == "admin"
