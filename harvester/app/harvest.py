"""Run harvests: one Scrapy process crawling the chosen platforms concurrently, each recorded as a run."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from harvester import logsafety
from harvester.app.probe import definition_problem
from harvester.config import HarvesterConfig
from harvester.registry import platforms_for
from harvester.runs import STAT_PREFIX
from harvester.spiderloader import spider_class_for
from harvester.store.platformlock import PlatformLock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HarvestOutcome:
    """Which run recorded each platform's crawl (None if the crawl never opened), or why another harvest of
    the platform kept this one from starting (`busy`)."""

    platform: str
    run_id: int | None
    busy: str | None = None


def crawl_settings(config: HarvesterConfig) -> Settings:
    """Project settings with this config on top (the same values `scrapy crawl` would see)."""
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    settings.update(config.to_scrapy_settings(), priority="cmdline")
    return settings


def run_harvest(config: HarvesterConfig, slugs: Sequence[str] = ()) -> list[HarvestOutcome]:
    """Crawl `slugs` (default: every configured platform) in this process; blocks until all are done.

    A Twisted reactor cannot be restarted, so call this once per process (the CLI does).
    """
    specs = platforms_for(config)
    unknown = [s for s in slugs if s not in specs]
    if unknown:
        raise KeyError(f"unknown platform(s): {', '.join(unknown)}; known: {', '.join(sorted(specs))}")
    chosen = [specs[s] for s in (slugs or list(specs))]
    refused = {spec.slug: problem for spec in chosen if (problem := definition_problem(spec))}
    with ExitStack() as locks:  # each platform's lock in the store, held until its crawl has ended
        busy = {}
        for spec in chosen:
            if spec.slug in refused:
                continue
            lock = PlatformLock(config.db_url, spec.slug)
            if lock.acquire():
                locks.callback(lock.release)
            else:
                busy[spec.slug] = lock.refusal()
                logger.error("%s", busy[spec.slug])
        close_dead_runs(config, [spec.slug for spec in chosen if spec.slug not in refused and spec.slug not in busy])
        process = CrawlerProcess(crawl_settings(config))
        crawlers = []
        for spec in chosen:
            if spec.slug not in refused and spec.slug not in busy:
                crawler = process.create_crawler(spider_class_for(spec))
                process.crawl(crawler)
                crawlers.append((spec.slug, crawler))
        logsafety.install()  # after create_crawler: each crawler replaces Scrapy's root handler
        recorded = record_refusals(config, refused)
        if crawlers:
            process.start()
    ran = {slug: crawler.stats.get_value(STAT_PREFIX + "run_id") if crawler.stats else None
           for slug, crawler in crawlers}
    return [HarvestOutcome(spec.slug, recorded.get(spec.slug, ran.get(spec.slug)), busy.get(spec.slug))
            for spec in chosen]


def close_dead_runs(config: HarvesterConfig, locked: Sequence[str]) -> None:
    """Close as abandoned the "running" runs of platforms whose locks this process has just taken: their
    processes died (on any host; the lock went with them), and their runs would otherwise wait 24 h."""
    if not locked:
        return
    from harvester.store.cache import store_for

    with store_for(config.db_url).transaction() as repo:
        for slug in locked:
            if abandoned := repo.abandon_runs_of_dead_holders(slug):
                logger.warning("%s: %d earlier run(s) died without an outcome; closed as abandoned", slug, abandoned)


def record_refusals(config: HarvesterConfig, refused: Mapping[str, str]) -> dict[str, int]:
    """A failed run (class `definition`) for each platform whose definition cannot be harvested, so the run
    table, `harvester run` and the monitors name it while the other platforms of the process go ahead."""
    if not refused:
        return {}
    from harvester.store.db import Store

    recorded = {}
    with Store.open(config.db_url) as store, store.transaction() as repo:
        for slug, problem in refused.items():
            logger.error("%s: not harvested, its definition is invalid: %s", slug, problem)
            recorded[slug] = repo.start_run(slug, os.getpid())
            repo.finish_run(recorded[slug], "failed", {}, error=f"definition invalid: {problem}",
                            failure_class="definition")
    return recorded
