"""The store sink under failing writes (SQLite and PostgreSQL): a board cursor is never committed ahead of the
messages buffered before it, and a batch whose write failed stays buffered until a later write succeeds."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from harvester.schema import BoardCursor
from harvester.store.db import Store
from sinks.store_pipeline import StorePipeline
from tests.store.builders import PLATFORM, letter
from tests.store.test_store_pipeline_failures import FlakyStore

BOARD = "mayor"


class Engine:
    """Scrapy's engine as far as the sink uses it: asked to close the spider after a failed write."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


@pytest.fixture
def sink(db_url: str, store: Store) -> tuple[StorePipeline, FlakyStore]:
    crawler = get_crawler(Spider, {"HARVESTER_DB_URL": db_url, "HARVESTER_BATCH_SIZE": 3})
    crawler.spider, crawler.engine = Spider(name=PLATFORM), Engine()  # type: ignore[assignment]
    pipeline = StorePipeline(crawler)
    flaky = FlakyStore(store)
    pipeline.store = flaky  # type: ignore[assignment]
    pipeline.open_spider()
    return pipeline, flaky


def stored(store: Store) -> tuple[set[str], str | None]:
    with store.transaction() as repo:
        return ({m["external_id"] for m in repo.iter_messages(platform=PLATFORM)},
                repo.get_cursor(PLATFORM, BOARD))


def test_a_cursor_is_not_committed_when_the_messages_before_it_fail_to_write(
        sink: tuple[StorePipeline, FlakyStore], store: Store) -> None:
    pipeline, flaky = sink
    pipeline.batch_size = 100  # everything waits for the cursor's flush
    for external_id in ("101", "102"):
        pipeline.process_item(letter(external_id))
    flaky.failures = 1
    pipeline.process_item(BoardCursor(PLATFORM, BOARD, "102"))
    assert pipeline.flush_error is not None and pipeline.crawler.engine.closed == ["store_failed"]
    assert stored(store) == (set(), None)  # neither the letters nor the cursor past them
    pipeline.close_spider()  # the final write retries the whole buffer, in order
    assert stored(store) == ({"101", "102"}, "102") and pipeline.buffer == []


def test_a_batch_whose_write_failed_is_kept_until_the_final_write_stores_it(
        sink: tuple[StorePipeline, FlakyStore], store: Store) -> None:
    pipeline, flaky = sink
    flaky.failures = 1
    for external_id in ("101", "102", "103"):  # the third fills the batch: its write fails
        pipeline.process_item(letter(external_id))
    assert pipeline.flush_error is not None and stored(store) == (set(), None)
    for item in (letter("104"), BoardCursor(PLATFORM, BOARD, "104")):  # buffered, not written after a failure
        pipeline.process_item(item)
    assert stored(store) == (set(), None)
    pipeline.close_spider()
    assert stored(store) == ({"101", "102", "103", "104"}, "104")
