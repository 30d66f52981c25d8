"""API tokens: create (the secret is shown once, only its hash is kept), look up, list, revoke; and the audit
of reads that returned personal data unmasked."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from harvester.store.api_models import ApiTokenRow, FullReadRow
from harvester.store.repository import Repository
from harvester.timeutil import utcnow

SCOPES = ("read", "read-full", "replies:draft", "replies:approve", "admin")
STAMP_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "lyh_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret


class TokenError(ValueError):
    """A token that cannot be created or changed as asked (unknown scope, name taken, no such token)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as callers see it: never the secret, nor its hash."""

    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def token_hash(secret: str) -> str:
    """SHA-256 (hex) of the secret: tokens are 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.prefix, tuple(row.scopes), row.created_at, row.revoked_at,
                     row.last_used_at)


def create_token(repo: Repository, name: str, scopes: Collection[str]) -> tuple[TokenInfo, str]:
    """A new token named `name` with `scopes`; returns it and the secret (shown to the user once)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"unknown scope(s) {unknown}; choose from {', '.join(SCOPES)}" if unknown
                         else "a token needs at least one scope")
    if not name.strip():
        raise TokenError("a token needs a name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(name=name.strip(), token_hash=token_hash(secret), prefix=secret[:10],
                      scopes=sorted(set(scopes)), created_at=utcnow())
    if repo.session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == row.name)) is not None:
        raise TokenError(f"a token named {name!r} exists already")
    repo.session.add(row)
    repo.session.flush()
    return _info(row), secret


def list_tokens(repo: Repository) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first."""
    return [_info(row) for row in repo.session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))]


def revoke_token(repo: Repository, name: str) -> TokenInfo:
    """Revoke the token named `name` (revoking twice keeps the first time)."""
    row = repo.session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
    if row is None:
        raise TokenError(f"no token named {name!r}")
    row.revoked_at = row.revoked_at or utcnow()
    return _info(row)


def authenticate(repo: Repository, secret: str) -> TokenInfo | None:
    """The live token with this secret (its last use stamped), or None if unknown or revoked."""
    row = repo.session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash(secret)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > STAMP_EVERY:  # not a write on every request
        row.last_used_at = now
    return _info(row)


def record_full_read(repo: Repository, token_id: int, request: str) -> None:
    """Audit one read that returned personal data unmasked."""
    repo.session.add(FullReadRow(token_id=token_id, at=utcnow(), request=request))


def full_reads(repo: Repository, token_id: int | None = None) -> list[tuple[str, datetime, str]]:
    """(token name, time, request) of audited unmasked reads, oldest first."""
    query = (select(ApiTokenRow.name, FullReadRow.at, FullReadRow.request)
             .join(ApiTokenRow, ApiTokenRow.id == FullReadRow.token_id).order_by(FullReadRow.id))
    if token_id is not None:
        query = query.where(FullReadRow.token_id == token_id)
    return [(name, at, request) for name, at, request in repo.session.execute(query)]
