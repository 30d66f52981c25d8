"""The change feed: paging by seq, and seqs that become visible in commit order under concurrent writers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from harvester.store.db import Store
from tests.store.builders import letter, store_batch


def test_events_since_pages_through_the_feed_in_seq_order(store: Store, run_id: int) -> None:
    store_batch(store, [letter(str(n)) for n in range(1000, 1025)], run_id)
    pages, last = [], 0
    while True:
        with store.transaction() as repo:
            page = repo.events_since(last, limit=10)
        if not page:
            break
        pages.append(page)
        last = page[-1]["seq"]
    assert [len(page) for page in pages] == [10, 10, 5]
    events = [event for page in pages for event in page]
    assert [e["external_id"] for e in events] == [str(n) for n in range(1000, 1025)]
    assert len({e["seq"] for e in events}) == 25
    first = events[0]
    assert set(first) == {"seq", "kind", "platform", "external_id", "run_id", "occurred_at", "payload"}
    assert datetime.fromisoformat(first["occurred_at"]).utcoffset() == timedelta(0)
    assert first["payload"] == {"status": "pending", "replies": 0}


def test_a_second_writer_waits_so_seqs_become_visible_in_commit_order(store: Store, run_id: int) -> None:
    """Without serialised writers the second batch could commit seq N+1 while seq N is still invisible."""
    second_done = threading.Event()

    def second_writer() -> None:
        store_batch(store, [letter("2001"), letter("2002")], run_id)
        second_done.set()

    with store.transaction() as repo:
        repo.upsert_messages([letter("1001"), letter("1002")], run_id, datetime.now().astimezone())
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert not second_done.wait(1.0), "the second writer committed while the first still held its events"
        with_first_uncommitted = repo.events_since(0)
    thread.join(timeout=30)
    assert second_done.is_set()
    assert [e["external_id"] for e in with_first_uncommitted] == ["1001", "1002"]
    with store.transaction() as repo:
        events = repo.events_since(0)
    assert [e["external_id"] for e in events] == ["1001", "1002", "2001", "2002"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
