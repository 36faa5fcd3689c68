"""Personal API tokens: hashed, shown once, scoped by the user's role, revocable, audited."""

from __future__ import annotations

import re

import pytest

from octopus.accounts.api_tokens import issue_token, revoke_token
from octopus.accounts.models import ApiToken, AuditEvent
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_it_stores_only_a_hash_and_a_prefix(admin_user) -> None:
    token, clear = issue_token(admin_user, "laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert clear.startswith("oct_") and len(clear) > 40
    assert clear not in (stored.token_hash, stored.name)
    assert stored.prefix == clear[:12]


def test_a_token_acts_as_its_user_with_that_users_role(client, operator, viewer) -> None:
    _, operator_token = issue_token(operator, "ci")
    _, viewer_token = issue_token(viewer, "ci")
    assert Api(client, operator_token).get("/me").json() == {
        "username": "oscar",
        "role": "operator",
    }
    assert Api(client, viewer_token).get("/me").json() == {"username": "victor", "role": "viewer"}


def test_anonymous_unknown_and_revoked_tokens_get_401(client, admin_user) -> None:
    token, clear = issue_token(admin_user, "old")
    assert Api(client, clear).get("/jobs").status_code == 200
    assert revoke_token(token) is True
    for api in (Api(client, None), Api(client, "oct_not-a-token"), Api(client, clear)):
        response = api.get("/jobs")
        assert response.status_code == 401
        assert set(response.json()) == {"error", "detail"}
    assert Api(client, clear).get("/jobs").json()["error"] == "invalid or revoked API token"


def test_an_inactive_users_token_gets_401(client, admin_user) -> None:
    _, clear = issue_token(admin_user, "x")
    admin_user.is_active = False
    admin_user.save()
    assert Api(client, clear).get("/me").status_code == 401


def test_last_used_is_recorded(client, viewer) -> None:
    token, clear = issue_token(viewer, "x")
    assert token.last_used is None
    Api(client, clear).get("/me")
    token.refresh_from_db()
    assert token.last_used is not None


def test_the_page_makes_a_token_shown_once_and_audits_it(client, viewer) -> None:
    client.force_login(viewer)
    response = client.post("/account/tokens/", {"name": "laptop CLI"}, follow=True)
    html = response.content.decode()
    clear = re.search(r'id="new-token">([^<]+)<', html).group(1)
    assert Api(client, clear).get("/me").json()["username"] == "victor"
    again = client.get("/account/tokens/").content.decode()
    assert clear not in again and clear[:12] in again and "laptop CLI" in again
    event = AuditEvent.objects.get(action="token.create")
    assert (event.actor, event.after) == (viewer, {"name": "laptop CLI", "prefix": clear[:12]})


def test_the_page_revokes_only_the_users_own_tokens(client, viewer, operator) -> None:
    mine, clear = issue_token(viewer, "mine")
    theirs, _ = issue_token(operator, "theirs")
    client.force_login(viewer)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    assert Api(client, clear).get("/me").status_code == 401
    theirs.refresh_from_db()
    assert theirs.is_active
    assert AuditEvent.objects.filter(action="token.revoke", actor=viewer).count() == 1


def test_the_page_needs_a_login_and_a_name(client, viewer) -> None:
    assert client.get("/account/tokens/").status_code == 302
    client.force_login(viewer)
    response = client.post("/account/tokens/", {"name": ""})
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_user_box_links_to_the_tokens_page(client, viewer) -> None:
    client.force_login(viewer)
    assert 'href="/account/tokens/"' in client.get("/jobs/").content.decode()
