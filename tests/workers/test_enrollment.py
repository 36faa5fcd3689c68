"""Enrollment never takes an existing identity: a taken name answers 409, revoked stays
revoked, and only an admin's re-enrollment token gives an existing worker a new token
(audited with the old and new tokens' fingerprints)."""

from __future__ import annotations

import json
import re

import pytest

from octopus.accounts.models import AuditEvent
from octopus.workers.enrollment import create_enrollment_token
from octopus.workers.models import Worker, fingerprint
from octopus.workers.tokens import authenticate_worker, issue_worker_token, revoke_worker

pytestmark = pytest.mark.django_db


def enroll(client, token: str, name: str):
    body = {"enrollment_token": token, "name": name, "hostname": "box"}
    return client.post("/agent/v1/enroll", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("state", ["offline", "revoked", "connected"])
def test_a_plain_token_never_takes_an_existing_name(client, make_worker, state) -> None:
    worker = make_worker("db-1", online=state == "connected")
    own = issue_worker_token(worker)
    if state == "revoked":
        revoke_worker(worker)
    _, token = create_enrollment_token(None, uses=2)
    response = enroll(client, token, "db-1")
    assert response.status_code == 409
    assert "exists" in response.json()["error"]
    worker.refresh_from_db()
    if state == "revoked":
        assert worker.token_revoked_at is not None and worker.token_hash == ""
    else:
        assert authenticate_worker(own) == worker  # its own token still works
    assert AuditEvent.objects.filter(action="worker.enroll_refused").count() == 1
    assert enroll(client, token, "db-2").status_code == 200  # a new name is fine


def test_an_admins_reenrollment_token_gives_that_worker_a_new_token(client, make_worker) -> None:
    worker = make_worker("db-1", online=False)
    old = issue_worker_token(worker)
    old_hash = Worker.objects.get(pk=worker.pk).token_hash
    revoke_worker(worker)
    _, token = create_enrollment_token(None, uses=5, reenroll=worker)
    assert enroll(client, token, "db-2").status_code == 403  # that worker only
    response = enroll(client, token, "db-1")
    assert response.status_code == 200
    new = response.json()["worker_token"]
    assert authenticate_worker(new) == worker and authenticate_worker(old) is None
    event = AuditEvent.objects.get(action="worker.reenroll")
    new_hash = Worker.objects.get(pk=worker.pk).token_hash
    assert (event.before, event.after) == (
        {"token": "none"},  # it had been revoked
        {"token": fingerprint(new_hash)},
    )
    assert fingerprint(old_hash) != fingerprint(new_hash)
    assert enroll(client, token, "db-1").status_code == 403  # used: once only


def test_an_admin_re_enrolls_a_worker_from_the_workers_page(
    client, admin_user, operator, make_worker
) -> None:
    worker = make_worker("db-1", online=False)
    issue_worker_token(worker)
    revoke_worker(worker)
    client.force_login(operator)
    assert client.post(f"/workers/{worker.pk}/reenroll/").status_code == 403
    client.force_login(admin_user)
    listing = client.get("/workers/").content.decode()
    assert f'action="/workers/{worker.pk}/reenroll/"' in listing
    page = client.post(f"/workers/{worker.pk}/reenroll/").content.decode()
    token = re.search(r"--enroll (oce_\S+) --name db-1 ", page).group(1)
    assert enroll(client, token, "db-1").status_code == 200
    assert Worker.objects.get(pk=worker.pk).token_revoked_at is None
    made = AuditEvent.objects.get(action="worker.enrollment_token")
    assert made.after["reenroll"] == "db-1" and made.actor == admin_user
    assert AuditEvent.objects.filter(action="worker.reenroll").exists()
