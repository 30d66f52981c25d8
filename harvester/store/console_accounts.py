"""Console accounts and sessions: users with argon2 password hashes, and sign-in sessions kept only as hashes.

A session cookie is 256 random bits; the store keeps its SHA-256 and a CSRF token that every form of the session
carries. A disabled user's sessions end at once; a password change ends every session of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from harvester.store.console_models import ROLES, ConsoleSessionRow, ConsoleUserRow
from harvester.store.repository import Repository
from harvester.timeutil import utcnow

MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """An account that cannot be created or changed as asked (unknown role, name taken, weak password …)."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A console user as the app sees it: never the password hash."""

    id: int
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who, and the CSRF token its forms must carry."""

    user: ConsoleUser
    csrf_token: str
    expires_at: datetime


def _user(row: ConsoleUserRow) -> ConsoleUser:
    return ConsoleUser(row.id, row.name, row.role, row.created_at, row.disabled_at)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _find(repo: Repository, name: str) -> ConsoleUserRow:
    row = repo.session.scalar(select(ConsoleUserRow).where(ConsoleUserRow.name == name))
    if row is None:
        raise AccountError(f"no console user named {name!r}")
    return row


def add_user(repo: Repository, name: str, role: str, password: str) -> ConsoleUser:
    """A new user with `role` (viewer, drafter, approver or admin)."""
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if not name or len(name) > 128 or "\x00" in name:
        raise AccountError("a user needs a name of 1-128 characters")
    _check_password(password)
    if repo.session.scalar(select(ConsoleUserRow.id).where(ConsoleUserRow.name == name)) is not None:
        raise AccountError(f"a console user named {name!r} exists already")
    now = utcnow()
    row = ConsoleUserRow(name=name, role=role, password_hash=_HASHER.hash(password), created_at=now,
                         password_changed_at=now)
    repo.session.add(row)
    repo.session.flush()
    return _user(row)


def set_password(repo: Repository, name: str, password: str) -> ConsoleUser:
    """Replace the user's password; every session of the user ends."""
    _check_password(password)
    row = _find(repo, name)
    row.password_hash, row.password_changed_at = _HASHER.hash(password), utcnow()
    repo.session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == row.id))
    return _user(row)


def disable_user(repo: Repository, name: str) -> ConsoleUser:
    """Disable the user (sign-in refused from now on) and end their sessions; disabling twice keeps the first time."""
    row = _find(repo, name)
    row.disabled_at = row.disabled_at or utcnow()
    repo.session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == row.id))
    return _user(row)


def list_users(repo: Repository) -> list[ConsoleUser]:
    """Every user, disabled ones included, oldest first."""
    return [_user(row) for row in repo.session.scalars(select(ConsoleUserRow).order_by(ConsoleUserRow.id))]


def check_login(repo: Repository, name: str, password: str) -> ConsoleUser | None:
    """The enabled user whose password this is, or None (unknown name, wrong password, disabled)."""
    row = repo.session.scalar(select(ConsoleUserRow).where(ConsoleUserRow.name == name.strip()))
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    return _user(row)


def user_exists(repo: Repository, name: str) -> bool:
    return repo.session.scalar(select(ConsoleUserRow.id).where(ConsoleUserRow.name == name.strip())) is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(repo: Repository, user: ConsoleUser, lifetime: timedelta) -> tuple[str, SignedIn]:
    """A new session for `user`: the cookie value (shown to the browser only) and the session."""
    token, now = secrets.token_urlsafe(32), utcnow()
    row = ConsoleSessionRow(token_hash=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                            created_at=now, expires_at=now + lifetime, last_seen_at=now)
    repo.session.add(row)
    repo.session.flush()
    return token, SignedIn(user, row.csrf_token, row.expires_at)


def session_of(repo: Repository, token: str) -> SignedIn | None:
    """The live session behind a cookie value (None: unknown, expired, or its user disabled)."""
    found = repo.session.execute(
        select(ConsoleSessionRow, ConsoleUserRow).join(ConsoleUserRow, ConsoleUserRow.id == ConsoleSessionRow.user_id)
        .where(ConsoleSessionRow.token_hash == _digest(token))).first()
    if found is None:
        return None
    session_row, user_row = found
    now = utcnow()
    if session_row.expires_at <= now or user_row.disabled_at is not None:
        return None
    if now - session_row.last_seen_at > timedelta(minutes=1):  # not a write on every page
        session_row.last_seen_at = now
    return SignedIn(_user(user_row), session_row.csrf_token, session_row.expires_at)


def end_session(repo: Repository, token: str) -> None:
    """Sign the session out (no-op for an unknown one); expired sessions go with it."""
    repo.session.execute(delete(ConsoleSessionRow).where(
        (ConsoleSessionRow.token_hash == _digest(token)) | (ConsoleSessionRow.expires_at <= utcnow())))
