"""Re-check bounds and ties on SQLite and PostgreSQL: a message seen exactly at the cutoff is not due, one
changed exactly at the settling bound still is, a fractional backoff waits longer than the quiet time, and
messages seen at the same moment page by id (on PostgreSQL, whose scan order follows updates, a page break
between them would otherwise lose one)."""

from __future__ import annotations

from datetime import timedelta
from itertools import islice

from sqlalchemy import update

from harvester.store.db import Store
from harvester.store.models import MessageRow
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.records import add_reply
from harvester.store.rechecks import awaiting_reply, candidates, revisit_due
from tests.store.builders import PLATFORM, SEEN, later, letter, store_batch


def test_the_cutoff_is_exclusive_and_the_settling_bound_inclusive(store: Store, run_id: int) -> None:
    store_batch(store, [letter("at-cutoff")], run_id, seen_at=later(0))
    store_batch(store, [letter("before")], run_id, seen_at=later(-1))
    with store.transaction() as repo:
        due = repo.due_for_recheck(PLATFORM, ["pending"], later(0), limit=10, changed_after=later(-1))
    assert [t.external_id for t in due] == ["before"]


def test_a_fractional_backoff_waits_longer_than_the_quiet_time() -> None:
    now = later(0)
    quiet_ten_days, seen_a_day_ago = now - timedelta(days=10), now - timedelta(days=1)
    assert not revisit_due(seen_a_day_ago, quiet_ten_days, now, 0.5)  # due after 20 days unseen
    assert revisit_due(now - timedelta(days=20), quiet_ten_days, now, 0.5)
    assert revisit_due(seen_a_day_ago, quiet_ten_days, now, 0)  # no backoff: always due


def reorder(store: Store, external_id: str) -> None:
    """Move one row's last sighting away and back: on PostgreSQL the row and its index entry now come after the
    rows stored with it (an indexed column changed, so no in-place update), while its id stays."""
    for moment in (SEEN + timedelta(seconds=1), SEEN):
        with store.engine.begin() as connection:
            connection.execute(update(MessageRow).where(MessageRow.external_id == external_id)
                               .values(last_seen_at=moment))


def test_messages_seen_at_the_same_moment_page_by_id_and_none_is_skipped(store: Store, run_id: int) -> None:
    ids = ["101", "102", "103", "104"]
    store_batch(store, [letter(i) for i in ids], run_id, seen_at=SEEN)
    for external_id in ("101", "103"):
        reorder(store, external_id)
    with store.transaction() as repo:
        pages = list(candidates(repo.session, PLATFORM, ["pending"], later(1), None, chunk=1))
    assert [[t.external_id for t in page] for page in pages] == [[i] for i in ids]


def test_replies_awaiting_confirmation_seen_at_the_same_moment_come_in_id_order(store: Store, run_id: int) -> None:
    ids = ["201", "202", "203"]
    store_batch(store, [letter(i) for i in ids], run_id, seen_at=SEEN)
    with store.transaction() as repo:
        for external_id in ids:
            add_reply(repo.session, PLATFORM, external_id, "已处理。", "市住建局", "zjj", "oa")
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).values(state="posted"))
    reorder(store, "201")
    with store.transaction() as repo:
        assert [t.external_id for t in awaiting_reply(repo.session, PLATFORM)] == ids


def test_paging_resumes_after_the_last_sighting_and_id_whatever_the_ids_of_later_sightings(store: Store,
                                                                                         run_id: int) -> None:
    # ids in storing order: "late" first, though it was seen last; "a", "b" seen at the same, earlier moment
    store_batch(store, [letter("late")], run_id, seen_at=later(-1))
    store_batch(store, [letter("a"), letter("b")], run_id, seen_at=later(-3))
    store_batch(store, [letter("c")], run_id, seen_at=later(-2))
    for chunk in (1, 2):
        with store.transaction() as repo:
            pages = list(islice(candidates(repo.session, PLATFORM, ["pending"], later(0), None, chunk=chunk), 10))
        assert [t.external_id for page in pages for t in page] == ["a", "b", "c", "late"], chunk
