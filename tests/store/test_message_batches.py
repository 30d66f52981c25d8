"""Batches of messages: replies land under their own message, and batches larger than one query's chunk of
ids are read back, re-stored and touched whole."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event

from harvester.schema import Reply
from harvester.store.db import Store
from harvester.store.messages import CHUNK
from harvester.store.models import MessageRow
from harvester.timeutil import SHANGHAI
from harvester.vocab import Status
from tests.store.builders import PLATFORM, later, letter, store_batch

ANSWERED = datetime(2025, 11, 19, 16, 0, tzinfo=SHANGHAI)


def replies_for(external_id: str, count: int) -> tuple[Reply, ...]:
    """`count` replies naming their letter, so a reply stored under another letter shows."""
    return tuple(Reply(text=f"关于来信{external_id}的第{n + 1}次答复", organisation=f"市住建局{n + 1}科",
                       replied_at=ANSWERED + timedelta(hours=n), external_id=f"r-{external_id}-{n}",
                       author=f"经办人{n}", official=n % 2 == 0, title=f"答复{n + 1}")
                 for n in range(count))


def test_each_new_letters_replies_are_stored_under_it_in_order_with_every_field(store: Store, run_id: int) -> None:
    counts = {"3001": 2, "3002": 0, "3003": 3, "3004": 1}
    store_batch(store, [letter(external_id, replies=replies_for(external_id, n))
                        for external_id, n in counts.items()], run_id)
    with store.transaction() as repo:
        stored = {external_id: repo.get_message(PLATFORM, external_id) for external_id in counts}
    for external_id, count in counts.items():
        message = stored[external_id]
        assert message is not None
        expected = replies_for(external_id, count)
        assert [(r["external_id"], r["identity"], r["text"], r["organisation"], r["replied_at"], r["author"],
                 r["official"], r["title"]) for r in message["replies"]] == [
            (r.external_id, r.identity, r.text, r.organisation, r.replied_at, r.author, r.official, r.title)
            for r in expected], external_id


def test_new_letters_between_stored_ones_get_their_own_replies_and_events(store: Store, run_id: int) -> None:
    """New letters mixed with already stored ones: each new id maps to its own row, not a neighbour's."""
    store_batch(store, [letter("4002"), letter("4004")], run_id)
    batch = [letter("4001", replies=replies_for("4001", 1)),
             letter("4002", status=Status.REPLIED, status_raw="已回复", replies=replies_for("4002", 1)),
             letter("4003", replies=replies_for("4003", 2)), letter("4004"),
             letter("4005", replies=replies_for("4005", 1))]
    results = store_batch(store, batch, run_id, seen_at=later(1))
    assert [(r.external_id, r.outcome) for r in results] == [
        ("4001", "inserted"), ("4002", "updated"), ("4003", "inserted"), ("4004", "unchanged"),
        ("4005", "inserted")]
    with store.transaction() as repo:
        for message in batch:
            row = repo.get_message(PLATFORM, message.external_id)
            assert row is not None
            assert [r["text"] for r in row["replies"]] == [r.text for r in message.replies], message.external_id
            assert row["content_hash"] == message.content_hash()
        events = repo.events_since(0, limit=100)
    created = [(e["external_id"], e["payload"]) for e in events if e["kind"] == "created"][2:]
    assert created == [("4001", {"status": "pending", "replies": 1}), ("4003", {"status": "pending", "replies": 2}),
                       ("4005", {"status": "pending", "replies": 1})]


def test_a_batch_larger_than_a_chunk_is_recognised_whole_on_the_next_run(store: Store, run_id: int) -> None:
    """More letters than one IN (...) list holds, on two platforms sharing ids: every one is found again."""
    ids = [str(5000 + n) for n in range(2 * CHUNK + 3)]
    first = [letter(i) for i in ids] + [letter(i, platform="other_demo") for i in ids[:CHUNK + 1]]
    assert {r.outcome for r in store_batch(store, first, run_id)} == {"inserted"}
    with store.transaction() as repo:
        second_run = repo.start_run(PLATFORM, 2)
    again = [letter(i, views=99) for i in ids] + [letter(i, platform="other_demo") for i in ids[:CHUNK + 1]]
    results = store_batch(store, again, second_run, seen_at=later(2))
    assert [r.outcome for r in results] == ["unchanged"] * len(again)
    with store.transaction() as repo:
        assert repo.counts()["messages"] == len(first)
        assert len(repo.events_since(0, limit=10_000)) == len(first)
        messages = list(repo.iter_messages())
    assert all((m["last_seen_at"], m["last_run_id"]) == (later(2), second_run) for m in messages)
    assert {m["views"] for m in messages if m["platform"] == PLATFORM} == {99}


def test_a_change_to_letters_past_the_first_chunk_is_found(store: Store, run_id: int) -> None:
    ids = [str(6000 + n) for n in range(CHUNK + 2)]
    store_batch(store, [letter(i) for i in ids], run_id)
    changed = {ids[0], ids[CHUNK - 1], ids[CHUNK], ids[-1]}
    batch = [letter(i, status=Status.REPLIED, status_raw="已回复") if i in changed else letter(i) for i in ids]
    results = store_batch(store, batch, run_id, seen_at=later(1))
    assert {r.external_id for r in results if r.outcome == "updated"} == changed
    with store.transaction() as repo:
        assert repo.counts()["messages"] == len(ids)
        assert {m["external_id"] for m in repo.iter_messages() if m["status"] == "replied"} == changed


def test_storing_a_batch_reads_only_the_batchs_own_letters(store: Store, run_id: int) -> None:
    """A platform holds hundreds of thousands of letters: a batch must not load every one of them to find its own."""
    store_batch(store, [letter(str(7000 + n)) for n in range(40)], run_id)
    loaded: list[str] = []
    with store.transaction() as repo:
        event.listen(repo.session, "loaded_as_persistent",
                     lambda _session, row: loaded.append(row.external_id) if isinstance(row, MessageRow) else None)
        results = repo.upsert_messages([letter("7003", views=50), letter("7999")], run_id, later(1))
    assert [r.outcome for r in results] == ["unchanged", "inserted"]
    assert loaded == ["7003"]
