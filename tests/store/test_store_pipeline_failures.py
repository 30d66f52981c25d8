"""The store sink when a write fails (SQLite and PostgreSQL), driven as a crawl drives it: the crawl is stopped,
the batch is kept and written by the final write, nothing is counted twice, and the run is recorded as failed
(class `store`) with the driver's reason; a final write that fails too leaves the letters for the next run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from harvester.schema import BoardCursor
from harvester.store.db import Store
from harvester.store.repository import Repository
from tests.store.builders import PLATFORM, letter
from tests.store.test_store_pipeline_batches import BOARD, COUNTS, Harvest, counts, cursor_of, open_harvest, stored


class DriverError(Exception):
    """A database driver's own error, as SQLAlchemy wraps it (`.orig`)."""


class FlakyStore:
    """The real store, whose next `failures` message writes fail inside their transaction (rolled back)."""

    def __init__(self, store: Store, reason: str = "database is locked") -> None:
        self.store, self.failures, self.reason = store, 0, reason

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        with self.store.transaction() as repo:
            upsert = repo.upsert_messages

            def failing(*args: Any, **kwargs: Any) -> Any:
                if self.failures:
                    self.failures -= 1
                    raise OperationalError("INSERT INTO messages …", {"body": "联系人：王小明"}, DriverError(self.reason))
                return upsert(*args, **kwargs)

            repo.upsert_messages = failing  # type: ignore[method-assign]
            yield repo


def flaky_harvest(db_url: str, batch_size: int) -> tuple[Harvest, FlakyStore]:
    harvest = open_harvest(db_url, batch_size=batch_size)
    flaky = FlakyStore(harvest.sink.store)
    harvest.sink.store = flaky  # type: ignore[assignment]
    return harvest, flaky


def test_a_failed_write_stops_the_crawl_and_the_final_write_stores_every_letter_once(
        db_url: str, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    harvest, flaky = flaky_harvest(db_url, batch_size=2)
    harvest.feed(letter("101"))
    flaky.failures = 1
    harvest.feed(letter("102"))  # the batch is full: its write fails
    assert harvest.engine.closed == ["store_failed"] and stored(store) == {}
    harvest.feed(letter("103"), BoardCursor(PLATFORM, BOARD, "103"), letter("104"))  # kept, not written
    assert stored(store) == {} and cursor_of(store) is None and counts(harvest.run())["items"] == 0
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sinks.store_pipeline"):
        harvest.close(reason="store_failed")
    assert set(stored(store)) == {"101", "102", "103", "104"} and cursor_of(store) == ("103", harvest.run_id)
    run = harvest.run()
    assert (run["outcome"], run["failure_class"]) == ("failed", "store")
    assert run["error"] == "store write failed: DriverError: database is locked"
    assert counts(run) == dict.fromkeys(COUNTS, 0) | {"items": 4, "new": 4}
    assert harvest.engine.closed == ["store_failed"]  # asked once
    assert caplog.messages == [
        f"{PLATFORM}: the final write stored every item kept since the failed write",
        f"{PLATFORM}: run {harvest.run_id} failed store write failed: DriverError: database is locked"]
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.ERROR]


def test_a_failed_final_write_leaves_the_letters_and_the_cursor_for_the_next_run(
        db_url: str, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    harvest, flaky = flaky_harvest(db_url, batch_size=100)
    harvest.feed(letter("101"), BoardCursor(PLATFORM, BOARD, "101"), letter("102"), letter("103"))
    flaky.failures, flaky.reason = 1, "disk full\nINSERT INTO messages …"
    with caplog.at_level(logging.INFO, logger="sinks.store_pipeline"):
        harvest.close()
    assert set(stored(store)) == {"101"} and cursor_of(store) == ("101", harvest.run_id)
    assert len(harvest.sink.buffer) == 2 and harvest.engine.closed == []
    run = harvest.run()
    assert (run["outcome"], run["failure_class"], run["error"]) == ("failed", "store",
                                                                    "final write failed: DriverError: disk full")
    assert counts(run) == dict.fromkeys(COUNTS, 0) | {"items": 1, "new": 1}
    assert caplog.messages == [
        f"{PLATFORM}: final write failed: DriverError: disk full; 2 item(s) not stored: the next run reads them "
        "again (no cursor passed them)",
        f"{PLATFORM}: run {harvest.run_id} failed final write failed: DriverError: disk full"]
    assert "王小明" not in caplog.text


def test_a_write_that_fails_twice_is_recorded_by_the_final_failure(db_url: str, store: Store) -> None:
    harvest, flaky = flaky_harvest(db_url, batch_size=1)
    flaky.failures = 2
    harvest.feed(letter("101"), letter("102"))  # the first write fails; the second letter only waits
    assert flaky.failures == 1
    harvest.close(reason="store_failed")
    assert stored(store) == {}
    run = harvest.run()
    assert (run["outcome"], run["failure_class"]) == ("failed", "store")
    assert run["error"] == "final write failed: DriverError: database is locked"
