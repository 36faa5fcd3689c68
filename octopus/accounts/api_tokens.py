"""Personal API tokens: issued to a user, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from octopus.accounts.models import ApiToken

TOKEN_PREFIX = "oct_"
PREFIX_SHOWN = 12  # characters kept in clear, e.g. "oct_Ab3dE6gH"
# last_used is a hint for people, not a log: writing it once a minute spares SQLite a write
# per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    # 256 random bits: nothing to brute-force, so a fast hash suffices and lookups stay one
    # indexed query.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it and its clear text (never stored)."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=hash_token(clear), prefix=clear[:PREFIX_SHOWN]
    )
    return token, clear


def revoke_token(token: ApiToken) -> bool:
    """Return False when it was revoked already."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


def authenticate_token(clear: str) -> User | None:
    """The active user a clear token belongs to, or None (unknown, revoked, inactive user)."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(clear), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user
