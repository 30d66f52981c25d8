"""Console accounts and sessions in the store, on SQLite and PostgreSQL: hashes only, expiry, disabling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from harvester.store.console_accounts import (
    AccountError,
    add_user,
    check_login,
    disable_user,
    end_session,
    session_of,
    start_session,
)
from harvester.store.console_models import ConsoleSessionRow, ConsoleUserRow
from harvester.store.db import Store
from tests.store.conftest import db_url, store  # noqa: F401 - the store fixtures, both backends

PASSWORD = "a long enough password"  # noqa: S105


def test_only_an_argon2_hash_and_the_cookies_digest_are_kept(store: Store) -> None:  # noqa: F811
    with store.transaction() as repo:
        user = add_user(repo, "王科员", "drafter", PASSWORD)
        cookie, session = start_session(repo, user, timedelta(hours=1))
    with store.transaction() as repo:
        stored = repo.session.scalar(select(ConsoleUserRow.password_hash))
        digest = repo.session.scalar(select(ConsoleSessionRow.token_hash))
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert digest != cookie and cookie not in digest
        found = session_of(repo, cookie)
        assert found is not None and (found.user.name, found.csrf_token) == ("王科员", session.csrf_token)


def test_an_expired_or_ended_session_is_gone(store: Store) -> None:  # noqa: F811
    with store.transaction() as repo:
        user = add_user(repo, "a", "viewer", PASSWORD)
        expired, _ = start_session(repo, user, timedelta(seconds=-1))
        ended, _ = start_session(repo, user, timedelta(hours=1))
        end_session(repo, ended)
        assert session_of(repo, expired) is None and session_of(repo, ended) is None
        assert repo.session.scalar(select(ConsoleSessionRow.id)) is None  # the expired one went with the sign-out


def test_a_disabled_user_neither_signs_in_nor_keeps_a_session(store: Store) -> None:  # noqa: F811
    with store.transaction() as repo:
        user = add_user(repo, "b", "approver", PASSWORD)
        cookie, _ = start_session(repo, user, timedelta(hours=1))
        assert check_login(repo, "b", PASSWORD) is not None and check_login(repo, "b", "wrong one!!") is None
        disable_user(repo, "b")
        assert check_login(repo, "b", PASSWORD) is None and session_of(repo, cookie) is None
        with pytest.raises(AccountError, match="exists already"):
            add_user(repo, "b", "viewer", PASSWORD)
