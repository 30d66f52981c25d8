"""One board shard's harvest in this process: the shard's lock (its platform's shared, its own exclusive), the
shard's dead runs closed, and the family spider crawling only the shard's boards (spider arguments `boards` and
`shard`: the same path `scrapy crawl SLUG -a boards=…` takes), its run recorded with the shard's label. Whether
the shard was harvested since its task was enqueued is asked again under the lock (`claim`, as for whole
platforms): a task that came back while another harvest of the shard ended finds it done and harvests nothing."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from scrapy.crawler import CrawlerProcess

from harvester import logsafety
from harvester.app.distributed.shards import Shard, shard_boards_of
from harvester.app.harvest import HarvestOutcome, claim, crawl_settings
from harvester.app.probe import definition_problem
from harvester.config import HarvesterConfig
from harvester.registry import PlatformSpec, platforms_for
from harvester.runs import STAT_PREFIX
from harvester.spiderloader import spider_class_for
from harvester.store.cache import store_for

logger = logging.getLogger(__name__)


def run_shard(config: HarvesterConfig, shard: Shard, enqueued_at: datetime | None = None) -> HarvestOutcome:
    """Crawl the shard's boards in this process (once per process: a Twisted reactor cannot restart), unless a
    harvest of it started at or after `enqueued_at` succeeded (asked under the shard's lock); the outcome is
    named by the shard's target (`<slug>#2/4`)."""
    specs = platforms_for(config)
    if shard.slug not in specs:
        raise KeyError(f"unknown platform: {shard.slug}; known: {', '.join(sorted(specs))}")
    spec = specs[shard.slug]
    if problem := definition_problem(spec):
        return HarvestOutcome(shard.target, _record_refusal(config, shard, f"definition invalid: {problem}"))
    lock = claim(config, shard.slug, shard.label, enqueued_at)
    if isinstance(lock, HarvestOutcome):
        return lock
    try:
        with store_for(config.db_url).transaction() as repo:
            if abandoned := repo.abandon_runs_of_dead_holders(shard.slug, shard.label):
                logger.warning("%s: %d earlier run(s) died without an outcome; closed as abandoned", shard.target,
                               abandoned)
        return HarvestOutcome(shard.target, _crawl(config, spec, shard))
    finally:
        lock.release()


def _crawl(config: HarvesterConfig, spec: PlatformSpec, shard: Shard) -> int | None:
    """The family spider over the shard's boards; the id of the run it recorded (None: the crawl never opened)."""
    process = CrawlerProcess(crawl_settings(config))
    crawler = process.create_crawler(spider_class_for(spec))
    boards = shard_boards_of(spec, shard)
    logger.info("%s: %d of %d boards: %s", shard.target, len(boards), len(spec.boards), ", ".join(boards))
    process.crawl(crawler, boards=",".join(boards), shard=shard.label)
    logsafety.install()  # after create_crawler: it replaces Scrapy's root handler
    process.start()
    return crawler.stats.get_value(STAT_PREFIX + "run_id") if crawler.stats else None


def _record_refusal(config: HarvesterConfig, shard: Shard, error: str) -> int:
    """A failed run (class `definition`) of the shard whose platform's definition cannot be harvested."""
    logger.error("%s: not harvested: %s", shard.target, error)
    with store_for(config.db_url).transaction() as repo:
        run_id = repo.start_run(shard.slug, os.getpid(), shard.label)
        repo.finish_run(run_id, "failed", {}, error=error, failure_class="definition")
    return run_id
