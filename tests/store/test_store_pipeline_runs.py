"""The run record the store sink keeps (SQLite and PostgreSQL): started when the pipelines open (closing the
platform's runs whose process died), finished on the spider_closed signal with the outcome Scrapy's close reason,
the spider's failed requests and the crawl's stats say, and the figures the checks read later."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from pydispatch import dispatcher
from scrapy import signals

from harvester.store.db import Store
from harvester.store.runlog import ABANDONED_ERROR
from sinks.store_pipeline import StorePipeline
from tests.store.builders import PLATFORM, letter
from tests.store.test_store_pipeline_batches import crawler_for, open_harvest, platforms

PEOPLE = "people_demo"


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_opening_starts_a_run_of_this_process_and_closes_runs_whose_process_died(
        db_url: str, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    with store.transaction() as repo:
        dead = repo.start_run(PLATFORM, dead_pid())
        other = repo.start_run("people_demo", dead_pid())  # another platform's: its own harvest closes it
    with caplog.at_level(logging.WARNING, logger="sinks.store_pipeline"):
        harvest = open_harvest(db_url)
    assert caplog.messages == [f"{PLATFORM}: 1 earlier run(s) died without an outcome"]
    with store.transaction() as repo:
        closed, untouched = repo.get_run(dead), repo.get_run(other)
    assert closed is not None and (closed["outcome"], closed["error"]) == ("abandoned", ABANDONED_ERROR)
    assert untouched is not None and untouched["outcome"] == "running"
    run = harvest.run()
    assert (run["platform"], run["outcome"], run["pid"], run["id"]) == (PLATFORM, "running", os.getpid(), other + 1)
    assert run["shard"] is None  # the platform's every board
    harvest.close()
    assert harvest.run()["figures"]["harvester/run_id"] == harvest.run_id


def test_a_board_shards_crawl_records_its_shard_on_its_run(db_url: str, store: Store) -> None:
    """As a distributed shard's crawl starts the people spider: its boards and its shard label as arguments."""
    boards = [board.id for board in platforms()[PEOPLE].boards[:2]]
    harvest = open_harvest(db_url, platform=PEOPLE, spider_arguments={"boards": ",".join(boards), "shard": "2/4"})
    assert (harvest.run()["platform"], harvest.run()["shard"]) == (PEOPLE, "2/4")
    harvest.close()
    assert (harvest.run()["outcome"], harvest.run()["shard"]) == ("succeeded", "2/4")


def test_opening_with_no_dead_run_says_nothing(db_url: str, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sinks.store_pipeline"):
        open_harvest(db_url).close()
    assert caplog.messages == []


@pytest.mark.parametrize(("reason", "outcome", "failure_class", "error"), [
    ("finished", "succeeded", None, None),
    ("shutdown", "failed", "interrupted", "crawl closed early: shutdown"),
    ("closespider_timeout", "failed", "interrupted", "crawl closed early: closespider_timeout"),
], ids=["finished", "shutdown", "timeout"])
def test_the_close_reason_decides_the_outcome_and_the_log_level(
        db_url: str, store: Store, caplog: pytest.LogCaptureFixture, reason: str, outcome: str,
        failure_class: str | None, error: str | None) -> None:
    harvest = open_harvest(db_url, batch_size=1)
    harvest.feed(letter("101"))
    with caplog.at_level(logging.INFO, logger="sinks.store_pipeline"):
        harvest.close(reason)
    run = harvest.run()
    assert (run["outcome"], run["failure_class"], run["error"]) == (outcome, failure_class, error)
    assert run["finished_at"] is not None and (run["items"], run["new"]) == (1, 1)
    assert caplog.messages == [f"{PLATFORM}: run {harvest.run_id} {outcome} {error or ''}"]
    assert caplog.records[0].levelno == (logging.INFO if outcome == "succeeded" else logging.ERROR)


def test_requests_that_failed_for_good_fail_the_run_with_the_first_named(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=1)
    harvest.feed(letter("101"))
    url = "http://127.0.0.1:8601/jact/front/mailpubdetail.do?transactId=102"
    harvest.spider.record_failure(url, "network", "TimeoutError: took longer than 30 seconds")  # type: ignore[attr-defined]
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["failure_class"]) == ("failed", "network")
    assert run["error"] == f"1 request(s) failed; first: {url}: TimeoutError: took longer than 30 seconds"


def test_the_crawls_request_figures_are_kept_on_the_run(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url, batch_size=1)
    stats = harvest.crawler.stats
    assert stats is not None
    for key, value in (("downloader/request_count", 7), ("downloader/response_status_count/200", 6),
                       ("downloader/response_status_count/503", 1), ("retry/count", 1), ("harvester/listed", 5)):
        stats.set_value(key, value)
    harvest.feed(letter("101"))
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["requests"], run["items"]) == ("succeeded", 7, 1)
    assert {key: run["figures"].get(key) for key in ("downloader/response_status_count/200",
                                                     "downloader/response_status_count/503", "retry/count",
                                                     "harvester/listed", "harvester/items_buffered")} == {
        "downloader/response_status_count/200": 6, "downloader/response_status_count/503": 1, "retry/count": 1,
        "harvester/listed": 5, "harvester/items_buffered": 1}


def test_an_exception_in_a_parse_callback_fails_the_run(db_url: str, store: Store) -> None:
    harvest = open_harvest(db_url)
    stats = harvest.crawler.stats
    assert stats is not None
    stats.inc_value("spider_exceptions/ValueError")
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["failure_class"], run["error"]) == ("failed", "crashed",
                                                                    "1 exception(s) in parse callbacks")


def test_a_crawl_closed_before_its_run_started_records_nothing(db_url: str, store: Store) -> None:
    """The store could not be opened for the run (open_spider raised): Scrapy still sends spider_closed."""
    crawler = crawler_for({"HARVESTER_DB_URL": db_url})
    spider = crawler._create_spider()
    crawler.spider = spider
    StorePipeline.from_crawler(crawler).spider_closed(spider=spider, reason="finished")
    with store.transaction() as repo:
        assert repo.latest_runs(platform=PLATFORM) == []


def test_the_sink_listens_for_spider_closed(db_url: str) -> None:
    """The run is recorded only if the sink made by Scrapy is connected to its crawler's spider_closed signal."""
    crawler = crawler_for({"HARVESTER_DB_URL": db_url})
    sink = StorePipeline.from_crawler(crawler)
    receivers = list(dispatcher.liveReceivers(dispatcher.getAllReceivers(crawler.signals.sender,
                                                                         signals.spider_closed)))
    assert sink.spider_closed in receivers
