"""The store sink driven as a crawl drives it (SQLite and PostgreSQL): a real crawler of the jact_demo spider with
the harvester's settings, the sink built by `from_crawler`, items passed one by one, then the final write and the
spider_closed signal. Letters wait for a full batch or a board cursor, are written once, and the run shows the
counts of every committed batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from harvester.app.replies import Outbox, State, claims
from harvester.config import HarvesterConfig
from harvester.registry import PlatformSpec, load_platforms
from harvester.runs_debug import crash_point
from harvester.schema import BoardCursor, MessageWithdrawn, Reply
from harvester.spiderloader import spider_class_for
from harvester.store.db import Store
from harvester.store.models import CursorRow
from harvester.timeutil import utcnow
from harvester.vocab import Status
from sinks import store_pipeline
from sinks.store_pipeline import StorePipeline
from tests.store.builders import PLATFORM, POSTED, REPLY, SEEN, broken_page, letter
from tests.unit.test_textsim import COPY, LETTER

BOARD = "mayor"
REPLY_TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
UNIT = "市住建局"
# LogStats needs a running event loop when the spider opens; nothing here reads its log lines.
NO_LOOP_EXTENSIONS = {"EXTENSIONS": {"scrapy.extensions.logstats.LogStats": None}}


@cache
def platforms() -> dict[str, PlatformSpec]:
    return load_platforms()  # read once: loading the platforms takes seconds


def spider_class(platform: str = PLATFORM) -> type[Spider]:
    """The platform's spider as the spider loader makes it."""
    return spider_class_for(platforms()[platform])


class Engine:
    """Scrapy's engine as far as the sink uses it (a real one exists only while a crawl runs under a reactor):
    asked to close the spider after a failed write."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


@dataclass
class Harvest:
    """One crawl's sink, opened as Scrapy opens it: the run is started."""

    crawler: Crawler
    spider: Spider
    sink: StorePipeline
    engine: Engine

    def feed(self, *items: Any) -> None:
        for item in items:
            assert self.sink.process_item(item) is item  # handed on unchanged, as Scrapy expects

    def close(self, reason: str = "finished") -> None:
        """The end of a crawl: the final write (the pipelines close), then the spider_closed handler called with
        what the signal carries. Not through the dispatcher: under mutmut its trampoline takes **kwargs, so
        pydispatch would pass the handler `signal` and `sender` too (test_the_sink_listens_for_spider_closed)."""
        self.sink.close_spider()
        self.sink.spider_closed(spider=self.spider, reason=reason)

    @property
    def run_id(self) -> int:
        assert self.sink.run_id is not None
        return self.sink.run_id

    def run(self) -> dict[str, Any]:
        with self.sink.store.transaction() as repo:
            record = repo.get_run(self.run_id)
        assert record is not None
        return record


def crawler_for(settings: dict[str, Any], platform: str = PLATFORM) -> Crawler:
    return get_crawler(spider_class(platform), {**NO_LOOP_EXTENSIONS, **settings})


def open_harvest(db_url: str, settings: dict[str, Any] | None = None, platform: str = PLATFORM,
                 spider_arguments: dict[str, str] | None = None, **config: Any) -> Harvest:
    """A crawl of `platform` with `config` (HarvesterConfig fields) as its settings, or `settings` alone, and the
    spider arguments given (as `scrapy crawl -a` or a shard's crawl passes them)."""
    crawler = crawler_for(settings if settings is not None
                          else HarvesterConfig(db_url=db_url, **config).to_scrapy_settings(), platform)
    spider = crawler._create_spider(**(spider_arguments or {}))
    engine = Engine()
    crawler.spider, crawler.engine = spider, engine  # type: ignore[assignment]
    sink = StorePipeline.from_crawler(crawler)
    sink.open_spider()  # Scrapy opens the pipelines, then sends spider_opened
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    return Harvest(crawler, spider, sink, engine)


def stored(store: Store) -> dict[str, dict[str, Any]]:
    with store.transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=PLATFORM)}


def cursor_of(store: Store, board: str = BOARD) -> tuple[str, int | None] | None:
    """The board's stored cursor and the run that wrote it."""
    with store.transaction() as repo:
        row = repo.session.get(CursorRow, (PLATFORM, board))
        return (row.value, row.run_id) if row else None


COUNTS = ("items", "new", "changed", "unchanged", "withdrawn", "quarantined")


def counts(run: dict[str, Any]) -> dict[str, int]:
    return {name: run[name] for name in COUNTS}


def test_letters_wait_for_a_full_batch_and_each_is_written_once(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=3)
    harvest.feed(letter("101"), letter("102"))
    assert stored(store) == {} and counts(harvest.run())["items"] == 0
    harvest.feed(letter("103"))  # the batch is full
    assert set(stored(store)) == {"101", "102", "103"}
    assert counts(harvest.run()) == dict.fromkeys(COUNTS, 0) | {"items": 3, "new": 3}  # committed with the batch
    harvest.feed(letter("104"), letter("105"))
    assert set(stored(store)) == {"101", "102", "103"}
    harvest.close()
    assert set(stored(store)) == {"101", "102", "103", "104", "105"}
    run = harvest.run()
    assert (run["outcome"], counts(run)) == ("succeeded", dict.fromkeys(COUNTS, 0) | {"items": 5, "new": 5})
    assert run["figures"]["harvester/items_buffered"] == 5 and run["figures"]["harvester/new"] == 5
    assert run["events"] == 5  # one "created" each: no letter written twice


def test_without_a_batch_size_setting_letters_wait_for_the_default_batch(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, {"HARVESTER_DB_URL": db_url})
    harvest.feed(letter("101"), letter("102"))
    assert stored(store) == {}
    harvest.close()
    assert set(stored(store)) == {"101", "102"}


def test_a_board_cursor_is_written_at_once_with_the_letters_before_it(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=100)
    harvest.feed(letter("101"), letter("102"))
    assert stored(store) == {} and cursor_of(store) is None
    harvest.feed(BoardCursor(PLATFORM, BOARD, "102"))
    assert set(stored(store)) == {"101", "102"} and cursor_of(store) == ("102", harvest.run_id)
    harvest.feed(letter("103"))
    harvest.close()
    assert set(stored(store)) == {"101", "102", "103"} and cursor_of(store) == ("102", harvest.run_id)


def test_a_second_run_counts_new_changed_and_unchanged_letters(db_url: str, store: Store) -> None:
    first = open_harvest(db_url, batch_size=100)
    first.feed(letter("101"), letter("102"))
    first.close()
    second = open_harvest(db_url, batch_size=100)
    second.feed(letter("101"), letter("102", title="小区旁工地夜间施工噪音扰民（再次反映）"), letter("103"))
    second.feed(BoardCursor(PLATFORM, BOARD, "103"))
    assert counts(second.run()) == dict.fromkeys(COUNTS, 0) | {"items": 3, "new": 1, "changed": 1, "unchanged": 1}
    second.close()
    run = second.run()
    assert counts(run) == dict.fromkeys(COUNTS, 0) | {"items": 3, "new": 1, "changed": 1, "unchanged": 1}
    assert (run["outcome"], run["id"]) == ("succeeded", first.run_id + 1)
    assert stored(store)["102"]["title"].endswith("（再次反映）") and stored(store)["101"]["last_run_id"] == second.run_id


def test_a_quarantined_page_is_kept_with_its_run_and_counted(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=100)
    harvest.feed(*[letter(str(n)) for n in range(101, 108)], broken_page(), BoardCursor(PLATFORM, BOARD, "107"))
    assert counts(harvest.run())["quarantined"] == 1
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["items"], run["quarantined"]) == ("succeeded", 7, 1)  # one odd page in eight
    with store.transaction() as repo:
        [page] = repo.quarantined(platform=PLATFORM)
    assert (page["reason"], page["run_id"], page["external_id"]) == ("来信时间 not found", harvest.run_id, "9")
    assert page["body"] == broken_page().snapshot.body


def test_a_run_of_mostly_quarantined_pages_fails_as_layout_changed(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=100)
    pages = [broken_page(url=f"http://127.0.0.1:8601/jact/front/mailpubdetail.do?transactId={n}") for n in (8, 9)]
    harvest.feed(letter("101"), *pages)
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["failure_class"], run["quarantined"]) == ("failed", "layout_changed", 2)
    assert run["error"] == "2 page(s) quarantined against 1 message(s) parsed"


def test_a_withdrawn_letter_is_hidden_and_counted_once(db_url: str, store: Store) -> None:
    first = open_harvest(db_url, batch_size=100)
    first.feed(letter("101"), letter("102"))
    first.close()
    gone = [MessageWithdrawn(PLATFORM, external_id, SEEN + timedelta(days=1), "detail page redirects to the list")
            for external_id in ("101", "101", "999")]  # the second is already hidden, the third never stored
    second = open_harvest(db_url, batch_size=100)
    second.feed(gone[0])
    second.feed(BoardCursor(PLATFORM, BOARD, "102"))
    assert counts(second.run())["withdrawn"] == 1
    second.feed(gone[1], gone[2])
    second.close()
    run = second.run()
    assert counts(run) == dict.fromkeys(COUNTS, 0) | {"withdrawn": 1, "unchanged": 1}
    assert stored(store)["101"]["status"] == "hidden" and stored(store)["102"]["status"] != "hidden"
    assert stored(store)["101"]["last_run_id"] == second.run_id and run["events"] == 1  # its "hidden" event
    assert run["figures"]["harvester/withdrawn"] == 1


def copies() -> list[Any]:
    """The same letter written to the mayor and, two days later, to another board: 一稿多投."""
    return [letter("48212", body=LETTER), letter("48213", body=COPY, board_id="559", addressee="浙江省委书记",
                                                 posted_at=POSTED + timedelta(days=2))]


@pytest.mark.parametrize(("settings", "linked"), [
    ({}, True),  # the default
    ({"HARVESTER_LINK_COPIES": False}, False),
    ({"HARVESTER_LINK_COPIES": True}, True),
], ids=["default", "off", "on"])
def test_copies_of_one_letter_are_linked_unless_switched_off(db_url: str, store: Store, settings: dict[str, Any],
                                                             linked: bool) -> None:
    harvest = open_harvest(db_url, {"HARVESTER_DB_URL": db_url, **settings})
    harvest.feed(*copies())
    harvest.close()
    found = stored(store)
    assert (found["48212"]["link_group"] is not None) == linked
    assert found["48212"]["link_group"] == found["48213"]["link_group"]



def test_a_harvest_that_shows_a_posted_reply_verifies_it_in_the_batchs_transaction(db_url: str,
                                                                                     store: Store) -> None:
    first = open_harvest(db_url, batch_size=100)
    first.feed(letter("101"), letter("102"))
    first.close()
    box = Outbox(store)
    reply_id = box.add(PLATFORM, "101", text=REPLY_TEXT, organisation=UNIT, account="zjj", actor="oa-system").id
    box.approve(reply_id, "张科长")
    held = claims.claim(store, reply_id, "test:1")
    assert isinstance(held, claims.Claim)
    claims.finish(store, held, State.POSTED, "push test:1", "posted", posted_at=utcnow())
    second = open_harvest(db_url, batch_size=100)
    shown = Reply(text=REPLY_TEXT, organisation=UNIT, replied_at=REPLY.replied_at)
    second.feed(letter("101", status=Status.REPLIED, status_raw="已回复", replies=(shown,)), letter("102"))
    written_after = utcnow()
    second.feed(BoardCursor(PLATFORM, BOARD, "102"))
    verified = box.get(reply_id)
    assert (verified.state, box.history(reply_id)[-1].actor) == ("verified", f"harvest run {second.run_id}")
    assert verified.verified_at is not None and written_after <= verified.verified_at <= utcnow()
    second.close()
    assert second.run()["figures"]["harvester/replies_verified"] == 1


def test_a_harvest_passes_the_crash_points_in_the_order_the_crash_sweep_names_them(
        db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """HARVESTER_DEBUG_CRASH_AT kills the process at a named point (bench/crash_sweep.py kills a harvest at each
    in turn); here the points are recorded instead, so each is known to sit at the boundary its name says."""
    reached: list[str] = []

    def record(name: str) -> None:
        crash_point(name)  # the real one: unarmed, it only checks that the name is known
        reached.append(name)

    monkeypatch.setattr(store_pipeline, "crash_point", record)
    harvest = open_harvest(db_url, batch_size=2)
    assert reached == ["harvest.run_started"]
    harvest.feed(letter("101"))
    assert reached == ["harvest.run_started"]
    harvest.feed(letter("102"))
    assert reached[1:] == ["harvest.flush_due", "harvest.in_transaction", "harvest.committed"]
    harvest.feed(BoardCursor(PLATFORM, BOARD, "102"))
    assert reached[4:] == ["harvest.cursor_buffered", "harvest.in_transaction", "harvest.committed"]
    harvest.sink.close_spider()  # nothing left to write: no transaction
    assert len(reached) == 7
    harvest.feed(letter("103"))
    harvest.close()
    assert reached[7:] == ["harvest.in_transaction", "harvest.committed", "harvest.before_run_record"]
