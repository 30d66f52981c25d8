"""Message rows on SQLite and PostgreSQL: a stored hash that no longer matches an unchanged letter (the recipe
changed) is rewritten without an event, and a withdrawal tells feed readers why."""

from __future__ import annotations

from sqlalchemy import update

from harvester.schema import MessageWithdrawn
from harvester.store.db import Store
from harvester.store.models import MessageRow
from tests.store.builders import PLATFORM, later, letter, store_batch


def test_an_unchanged_letter_under_a_new_hash_recipe_gets_the_new_hash_and_no_event(store: Store,
                                                                                    run_id: int) -> None:
    store_batch(store, [letter()], run_id)
    with store.engine.begin() as connection:  # as stored by a release that hashed differently
        connection.execute(update(MessageRow).values(content_hash="0" * 64))
    [result] = store_batch(store, [letter()], run_id, later(1))
    assert (result.outcome, result.events) == ("unchanged", [])
    with store.transaction() as repo:
        assert [m["content_hash"] for m in repo.iter_messages(platform=PLATFORM)] == [letter().content_hash()]
        assert [e["kind"] for e in repo.events_since(0, limit=100)] == ["created"]


def test_a_withdrawal_event_says_why(store: Store, run_id: int) -> None:
    store_batch(store, [letter()], run_id)
    with store.transaction() as repo:
        repo.withdraw_message(MessageWithdrawn(PLATFORM, "25445483", later(1), "detail page redirects"), run_id)
        hidden = repo.events_since(0, limit=100)[-1]
    assert (hidden["kind"], hidden["payload"]) == ("hidden", {"from": "pending", "to": "hidden",
                                                              "reason": "detail page redirects"})
