"""Hostile values in one batch (SQLite and PostgreSQL): a message id longer than its column or a NUL character in
a body is quarantined alone with a reason naming the field; the valid letters beside it are stored, and the
board's cursor stays below the refused letter so a later run reads it again."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from harvester.extract.snapshot import Snapshot
from harvester.pipelines.normalise import NormalisePipeline
from harvester.pipelines.validate import ValidatePipeline
from harvester.schema import BoardCursor, Message
from harvester.store.db import Store
from sinks.store_pipeline import StorePipeline
from spiders.scan import BoardScan
from tests.store.builders import PLATFORM, SEEN, letter

BOARD = "mayor"
LONG_ID = "9" * 129  # one over messages.external_id VARCHAR(128): PostgreSQL raised StringDataRightTruncation


def sourced(external_id: str, **overrides: Any) -> Message:
    """A letter with the detail page it was read from (what the gate quarantines when it refuses it)."""
    message = letter(external_id, **overrides)
    page = Snapshot(url=message.url, status=200, body=f"<html>{external_id[:20]}</html>".encode(),
                    fetched_at=SEEN, headers={"content-type": "text/html; charset=utf-8"})
    return Message(**{**{name: getattr(message, name) for name in Message.__slots__}, "source": page})


def harvest(db_url: str, messages: list[Message]) -> StorePipeline:
    """The crawl's pipelines (normalise, validate, store) over `messages` of one board, then the board's cursor
    as the spider computes it: a letter the gate refused counts as a failed detail."""
    crawler = get_crawler(Spider, {"HARVESTER_DB_URL": db_url, "HARVESTER_BATCH_SIZE": 100})
    crawler.spider = Spider(name=PLATFORM)
    sink, scan = StorePipeline(crawler), BoardScan(BOARD, old_cursor=None, list_complete=True)
    sink.open_spider()
    for message in messages:
        scan.seen.add(int(message.external_id))
        item = ValidatePipeline().process_item(NormalisePipeline().process_item(message))
        scan.handled(int(message.external_id), ok=isinstance(item, Message))
        sink.process_item(item)
    cursor = scan.new_cursor()
    if cursor is not None:
        sink.process_item(BoardCursor(PLATFORM, BOARD, str(cursor)))
    sink.close_spider()
    return sink


@pytest.mark.parametrize(("bad", "reason", "cursor"), [
    (sourced(LONG_ID), "external_id is 129 characters, over the 128 its column holds", "103"),
    (sourced("102", body="噪音扰民\x00每晚施工"), "body holds a NUL character", "101"),
], ids=["id_over_128", "nul_in_body"])
def test_a_hostile_value_is_quarantined_alone_and_the_valid_letters_are_stored(
        db_url: str, store: Store, bad: Message, reason: str, cursor: str) -> None:
    sink = harvest(db_url, [sourced("101"), bad, sourced("103")])
    assert sink.flush_error is None
    with store.transaction() as repo:
        stored = {m["external_id"] for m in repo.iter_messages(platform=PLATFORM)}
        [row] = repo.quarantined(platform=PLATFORM)
        assert repo.get_cursor(PLATFORM, BOARD) == cursor  # below the refused letter: the next run reads it
    assert stored == {"101", "103"}
    assert row["reason"] == "validation failed: " + reason
    assert row["external_id"] == bad.external_id[:128] and row["url"] == bad.url


def test_a_refused_letter_does_not_fail_the_next_run(db_url: str, store: Store) -> None:
    for _ in range(2):
        assert harvest(db_url, [sourced("101"), sourced(LONG_ID)]).flush_error is None
    with store.transaction() as repo:
        [row] = repo.quarantined(platform=PLATFORM)
        assert {m["external_id"] for m in repo.iter_messages(platform=PLATFORM)} == {"101"}
    assert row["times_seen"] == 2


def test_a_value_the_database_refuses_past_the_gate_is_quarantined_alone(db_url: str, store: Store) -> None:
    """Defence in depth: a letter that reaches the sink unchecked and that PostgreSQL refuses (SQLite takes it)
    is found by writing the batch's letters one by one; the others are stored and its board's cursor stays."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite stores a 129-character id in VARCHAR(128): nothing to refuse")
    crawler = get_crawler(Spider, {"HARVESTER_DB_URL": db_url, "HARVESTER_BATCH_SIZE": 100})
    crawler.spider = Spider(name=PLATFORM)
    sink = StorePipeline(crawler)
    sink.open_spider()
    for item in (letter("101"), letter(LONG_ID, body="噪音\x00扰民"), letter("103"), BoardCursor(PLATFORM, BOARD, "103")):
        sink.process_item(item)  # no gate: as if a new field or a bug let it through
    sink.close_spider()
    assert sink.flush_error is None and sink.buffer == []
    with store.transaction() as repo:
        assert {m["external_id"] for m in repo.iter_messages(platform=PLATFORM)} == {"101", "103"}
        [row] = repo.quarantined(platform=PLATFORM)
        assert repo.get_cursor(PLATFORM, BOARD) is None  # not past the refused letter
    assert row["reason"].startswith("store refused the message: ") and row["external_id"] == LONG_ID[:128]
