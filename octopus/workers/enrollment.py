"""Enrollment: an admin creates an enrollment token; a new worker trades it for its own
token. Both are shown once and stored as hashes."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from octopus.workers.models import EnrollmentToken, Worker, WorkerState, hash_token
from octopus.workers.tokens import issue_worker_token

ENROLL_PREFIX = "oce_"
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class EnrollmentError(Exception):
    """The enrollment was refused; the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def create_enrollment_token(
    user: User | None,
    uses: int = 1,
    ttl: timedelta = timedelta(hours=24),
    note: str = "",
) -> tuple[EnrollmentToken, str]:
    """Return the token row and the clear-text token (shown once)."""
    token = ENROLL_PREFIX + secrets.token_urlsafe(24)
    row = EnrollmentToken.objects.create(
        token_hash=hash_token(token),
        prefix=token[:10],
        note=note,
        created_by=user if user and user.is_authenticated else None,
        expires_at=timezone.now() + ttl,
        uses_left=uses,
    )
    return row, token


def enroll(enrollment_token: str, name: str, hostname: str) -> tuple[Worker, str]:
    """Trade an enrollment token for a worker and its own token.

    1. The enrollment token must exist, be unexpired, unrevoked, with a use left.
    2. One use is taken with a conditional UPDATE (two machines racing for the last use:
       exactly one wins).
    3. The worker is created, or an existing offline one of that name gets a new token
       (a reinstalled machine); a connected worker of that name is never taken over.
    """
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise EnrollmentError("worker names use letters, digits, '.', '_' and '-' (max 100)")
    now = timezone.now()
    row = EnrollmentToken.objects.filter(
        token_hash=hash_token(enrollment_token), revoked_at=None
    ).first()
    if row is None or row.expires_at <= now or row.uses_left == 0:
        raise EnrollmentError("unknown, expired, used or revoked enrollment token", 403)
    with transaction.atomic():
        taken = EnrollmentToken.objects.filter(pk=row.pk, uses_left__gt=0).update(
            uses_left=F("uses_left") - 1
        )
        if not taken:
            raise EnrollmentError("unknown, expired, used or revoked enrollment token", 403)
        worker, created = Worker.objects.get_or_create(
            name=name, defaults={"hostname": hostname[:255]}
        )
        if not created and worker.connected_at and worker.state != WorkerState.OFFLINE:
            raise EnrollmentError(f"a worker named {name!r} is connected; choose another name", 409)
        token = issue_worker_token(worker)
    return worker, token
