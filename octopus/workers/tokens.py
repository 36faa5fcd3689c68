"""Per-worker tokens: shown once, stored as a hash, revocable."""

from __future__ import annotations

import secrets

from django.utils import timezone

from octopus import events
from octopus.workers.models import Worker, WorkerState, hash_token

TOKEN_PREFIX = "ocw_"


def issue_worker_token(worker: Worker) -> str:
    """Give the worker a new token (replacing any old one) and return it in clear text."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    Worker.objects.filter(pk=worker.pk).update(token_hash=hash_token(token), token_revoked_at=None)
    worker.token_hash = hash_token(token)
    worker.token_revoked_at = None
    return token


def revoke_worker_token(worker: Worker) -> None:
    Worker.objects.filter(pk=worker.pk).update(token_hash="", token_revoked_at=timezone.now())


def authenticate_worker(token: str) -> Worker | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return Worker.objects.filter(token_hash=hash_token(token), token_revoked_at=None).first()


def revoke_worker(worker: Worker) -> None:
    """Revoke the worker's token and drop its connection at once."""
    revoke_worker_token(worker)
    Worker.objects.filter(pk=worker.pk).update(state=WorkerState.OFFLINE, connected_at=None)
    events.send(events.worker_revoked, worker_id=worker.pk)
