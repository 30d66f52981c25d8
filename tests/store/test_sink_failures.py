"""What the store sink says when a write fails (SQLite and PostgreSQL): the run's error and the log line name the
platform, the driver's error class and its first line, never the statement or its parameters."""

from __future__ import annotations

import logging

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy.exc import OperationalError

from harvester.store.db import Store
from sinks.store_pipeline import StorePipeline, describe
from tests.store.builders import PLATFORM, letter


class DriverError(Exception):
    """A database driver's own error, as SQLAlchemy wraps it (`.orig`)."""


class Engine:
    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


def wrapped(message: str) -> OperationalError:
    return OperationalError("INSERT INTO messages (body) VALUES (?)", {"body": "联系人：王小明"}, DriverError(message))


def test_an_error_is_described_by_the_drivers_class_and_first_line_only() -> None:
    assert describe(wrapped("database is locked\nINSERT INTO messages …")) == "DriverError: database is locked"
    assert describe(RuntimeError("disk full")) == "RuntimeError: disk full"
    assert describe(RuntimeError()) == "RuntimeError"
    assert describe(RuntimeError("\nsecond line only")) == "RuntimeError"
    long = describe(RuntimeError("x" * 300))
    assert long == "RuntimeError: " + "x" * 200


def test_a_failed_write_is_named_on_the_run_and_in_the_log_without_the_statement(
        db_url: str, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(Spider, {"HARVESTER_DB_URL": db_url})
    engine = Engine()
    crawler.spider, crawler.engine = Spider(name=PLATFORM), engine  # type: ignore[assignment]
    pipeline = StorePipeline(crawler)
    pipeline.open_spider()
    pipeline.buffer.extend([letter("101"), letter("102")])
    with caplog.at_level(logging.ERROR, logger="sinks.store_pipeline"):
        pipeline.write_failed(wrapped("database is locked"))
    assert pipeline.flush_error == "store write failed: DriverError: database is locked"
    assert engine.closed == ["store_failed"]
    assert caplog.messages == [f"{PLATFORM}: store write failed: DriverError: database is locked; the crawl stops, "
                               "2 item(s) kept for the final write"]
    assert "王小明" not in caplog.text and "INSERT" not in caplog.text
