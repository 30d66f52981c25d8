"""API tokens in the store: only the hash is kept, revoked tokens stop working, unmasked reads are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from harvester.store.db import Store
from harvester.store.tokens import (
    TokenError,
    authenticate,
    create_token,
    full_reads,
    list_tokens,
    record_full_read,
    revoke_token,
)


def test_the_secret_is_never_stored_and_authenticates_until_revoked(store: Store) -> None:
    with store.transaction() as repo:
        info, secret = create_token(repo, "oa-system", ["read", "replies:draft"])
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM api_tokens")).mappings().one()
    assert secret not in {str(v) for v in stored.values()}
    assert secret.startswith(info.prefix)
    with store.transaction() as repo:
        found = authenticate(repo, secret)
        assert found is not None and found.scopes == ("read", "replies:draft")
        assert authenticate(repo, secret + "x") is None
        revoke_token(repo, "oa-system")
    with store.transaction() as repo:
        assert authenticate(repo, secret) is None
        assert list_tokens(repo)[0].revoked_at is not None


def test_unknown_scopes_and_taken_names_are_refused(store: Store) -> None:
    with store.transaction() as repo:
        create_token(repo, "oa", ["read"])
        with pytest.raises(TokenError, match="unknown scope"):
            create_token(repo, "other", ["write"])
        with pytest.raises(TokenError, match="exists"):
            create_token(repo, "oa", ["read"])
        with pytest.raises(TokenError, match="no token"):
            revoke_token(repo, "nobody")


def test_full_reads_are_audited_per_token(store: Store) -> None:
    with store.transaction() as repo:
        info, _ = create_token(repo, "auditor", ["read-full"])
        record_full_read(repo, info.id, "GET /messages/jact_demo/1")
    with store.transaction() as repo:
        [(name, at, request)] = full_reads(repo)
    assert (name, request) == ("auditor", "GET /messages/jact_demo/1") and at.tzinfo is not None
