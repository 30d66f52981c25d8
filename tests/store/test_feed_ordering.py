"""A feed reader paging with `seq > last seen` gets every event exactly once, in seq order: while two writers
commit concurrently, and after PostgreSQL reorganises the events table on disk."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from harvester.store.db import Store
from harvester.vocab import Status
from tests.store.builders import later, letter, store_batch
from tests.store.conftest import fresh_pg_schema


def read_feed_until(store: Store, writers_done: threading.Event, seen: list[dict[str, Any]]) -> None:
    """Page the feed from the start as a consumer does, until the writers are done and a page comes back empty."""
    last = 0
    while True:
        finished = writers_done.is_set()
        with store.transaction() as repo:
            page = repo.events_since(last, limit=100)
        seen.extend(page)
        if page:
            last = page[-1]["seq"]
        elif finished:
            return
        time.sleep(0.05)


def test_a_reader_paging_while_two_writers_commit_sees_every_event_once(store: Store, run_id: int) -> None:
    """The first writer takes the lower seqs but commits last: a reader that moved past the second writer's
    seqs in between would never see the first writer's events."""
    seen: list[dict[str, Any]] = []
    second_done, writers_done = threading.Event(), threading.Event()

    def second_writer() -> None:
        store_batch(store, [letter("2001"), letter("2002")], run_id, seen_at=later(1))
        second_done.set()

    reader = threading.Thread(target=read_feed_until, args=(store, writers_done, seen))
    second = threading.Thread(target=second_writer)
    with store.transaction() as repo:
        repo.upsert_messages([letter("1001"), letter("1002")], run_id, later(1))
        reader.start()
        second.start()
        second_done.wait(3.0)
        time.sleep(0.5)  # the reader polls every 50 ms: it has read whatever was visible by now
    second.join(timeout=60)
    writers_done.set()
    reader.join(timeout=60)
    assert not reader.is_alive() and second_done.is_set()
    assert [e["external_id"] for e in seen] == ["1001", "1002", "2001", "2002"]
    seqs = [e["seq"] for e in seen]
    assert seqs == sorted(set(seqs))
    with store.transaction() as repo:
        assert repo.events_since(seqs[-1]) == []
        assert [e["seq"] for e in repo.events_since(seqs[1], limit=1)] == [seqs[2]]


@pytest.mark.postgres
def test_the_feed_stays_in_seq_order_after_postgresql_rewrites_the_table_in_another_order() -> None:
    """CLUSTER (like VACUUM FULL or pg_repack) rewrites rows in another physical order: a reader must still get
    seqs ascending, or a page would end past an event it has not been given."""
    with fresh_pg_schema() as url, Store.open(url) as store:
        with store.transaction() as repo:
            run_id = repo.start_run("jact_demo", 1)
        store_batch(store, [letter("1001"), letter("1002")], run_id)
        store_batch(store, [letter("1001", status=Status.REPLIED, status_raw="已回复")], run_id, seen_at=later(1))
        with store.transaction() as repo:
            repo.session.execute(text("CLUSTER message_events USING ix_message_events_message_id"))
            repo.session.execute(text("ANALYZE message_events"))
        with store.transaction() as repo:
            everything = repo.events_since(0)
            first_page = repo.events_since(0, limit=2)
            second_page = repo.events_since(first_page[-1]["seq"], limit=2)
    assert [(e["external_id"], e["kind"]) for e in everything] == [
        ("1001", "created"), ("1002", "created"), ("1001", "status_changed")]
    assert [e["seq"] for e in everything] == sorted(e["seq"] for e in everything)
    assert first_page + second_page == everything
