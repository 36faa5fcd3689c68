"""Enrollment: an admin creates an enrollment token; a new worker trades it for its own
token. Both are shown once and stored as hashes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from octopus.workers.models import EnrollmentToken, Worker, fingerprint, hash_token
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
    reenroll: Worker | None = None,
) -> tuple[EnrollmentToken, str]:
    """Return the token row and the clear-text token (shown once). With `reenroll`, the
    token re-enrolls that existing worker once (revoked or not) and enrolls nothing else."""
    token = ENROLL_PREFIX + secrets.token_urlsafe(24)
    row = EnrollmentToken.objects.create(
        token_hash=hash_token(token),
        prefix=token[:10],
        note=note,
        created_by=user if user and user.is_authenticated else None,
        expires_at=timezone.now() + ttl,
        uses_left=1 if reenroll is not None else uses,
        reenroll_worker=reenroll.name if reenroll is not None else "",
    )
    return row, token


@dataclass
class Enrolled:
    worker: Worker
    token: str  # the worker's own token, in clear text (shown once)
    reenrolled: bool  # an existing worker got a new token, by an admin's choice
    old_fingerprint: str  # of the token it had ("none" for a new worker)
    new_fingerprint: str


def enroll(enrollment_token: str, name: str, hostname: str) -> Enrolled:
    """Trade an enrollment token for a worker and its own token.

    1. The enrollment token must exist, be unexpired, unrevoked, with a use left.
    2. One use is taken with a conditional UPDATE (two machines racing for the last use:
       exactly one wins).
    3. A plain token only creates a worker: a name that is taken answers 409, whether that
       worker is connected, offline or revoked (revoked stays revoked). Only a token an
       admin made to re-enroll that very worker gives it a new token.
    """
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise EnrollmentError("worker names use letters, digits, '.', '_' and '-' (max 100)")
    now = timezone.now()
    row = EnrollmentToken.objects.filter(
        token_hash=hash_token(enrollment_token), revoked_at=None
    ).first()
    if row is None or row.expires_at <= now or row.uses_left == 0:
        raise EnrollmentError("unknown, expired, used or revoked enrollment token", 403)
    if row.reenroll_worker and row.reenroll_worker != name:
        raise EnrollmentError(
            f"this enrollment token re-enrolls worker {row.reenroll_worker!r} only", 403
        )
    with transaction.atomic():
        existing = Worker.objects.select_for_update().filter(name=name).first()
        if existing is not None and not row.reenroll_worker:
            raise EnrollmentError(
                f"a worker named {name!r} exists; choose another name, or ask an admin to "
                "re-enroll it",
                409,
            )
        if existing is None and row.reenroll_worker:
            raise EnrollmentError(f"there is no worker named {name!r} to re-enroll", 404)
        taken = EnrollmentToken.objects.filter(pk=row.pk, uses_left__gt=0).update(
            uses_left=F("uses_left") - 1
        )
        if not taken:
            raise EnrollmentError("unknown, expired, used or revoked enrollment token", 403)
        worker = existing or Worker.objects.create(name=name, hostname=hostname[:255])
        old = fingerprint(worker.token_hash)
        token = issue_worker_token(worker)
    return Enrolled(worker, token, existing is not None, old, fingerprint(worker.token_hash))
