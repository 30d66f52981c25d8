"""Run harvests: one Scrapy process crawling the chosen platforms concurrently, each recorded as a run; the lock
a harvest takes first (of a platform, or of one of its board shards), and whether a task's target was harvested
since the task was enqueued, asked again under that lock."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from harvester import logsafety
from harvester.app.probe import definition_problem
from harvester.config import HarvesterConfig
from harvester.registry import platforms_for
from harvester.runs import STAT_PREFIX
from harvester.spiderloader import spider_class_for
from harvester.store.cache import store_for
from harvester.store.db import Store
from harvester.store.platformlock import PlatformLock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HarvestOutcome:
    """Which run recorded each platform's (or board shard's, `<slug>#2/4`) crawl (None if the crawl never opened),
    or why there is none: another harvest holds it (`busy`), or one harvested it since the task was enqueued
    (`skipped`)."""

    platform: str
    run_id: int | None
    busy: str | None = None
    skipped: bool = False


def crawl_settings(config: HarvesterConfig) -> Settings:
    """Project settings with this config on top (the same values `scrapy crawl` would see)."""
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    settings.update(config.to_scrapy_settings(), priority="cmdline")
    return settings


def platform_runs(store: Store, slug: str, shard: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest runs of a platform over all its boards (`shard` None), or of its board shard `shard` ("2/4"),
    newest first."""
    with store.transaction() as repo:
        if shard is not None:
            return repo.latest_shard_runs(slug, shard, limit)
        return [run for run in repo.latest_runs(limit=limit, platform=slug) if run.get("shard") is None]


def succeeded_since(store: Store, slug: str, shard: str | None, since: datetime) -> bool:
    """Whether a harvest of the platform (of its board shard `shard`) that started at or after `since` succeeded."""
    return any(r["outcome"] == "succeeded" and r["started_at"] >= since for r in platform_runs(store, slug, shard, 5))


def claim(config: HarvesterConfig, slug: str, shard: str | None = None,
          enqueued_at: datetime | None = None) -> PlatformLock | HarvestOutcome:
    """The harvest lock of the platform (of its board shard `shard`), held; or the outcome saying why not: another
    harvest holds it (`busy`), or a harvest of it started at or after `enqueued_at` succeeded (`skipped`). That
    is asked under the lock: a task that met the platform busy and came back after that harvest ended, or whose
    parent asked while it ran, harvests nothing twice."""
    target = f"{slug}#{shard}" if shard else slug
    lock = PlatformLock(config.db_url, slug, shard)
    if not lock.acquire():
        logger.error("%s", refusal := lock.refusal())
        return HarvestOutcome(target, None, refusal)
    if enqueued_at is not None and succeeded_since(store_for(config.db_url), slug, shard, enqueued_at):
        lock.release()
        logger.info("%s: harvested since the task was enqueued; nothing to do", target)
        return HarvestOutcome(target, None, skipped=True)
    return lock


def run_harvest(config: HarvesterConfig, slugs: Sequence[str] = (),
                enqueued_at: datetime | None = None) -> list[HarvestOutcome]:
    """Crawl `slugs` (default: every configured platform) in this process; blocks until all are done. With
    `enqueued_at` (a task's), a platform harvested successfully since then is skipped (see `claim`).

    A Twisted reactor cannot be restarted, so call this once per process (the CLI does).
    """
    specs = platforms_for(config)
    unknown = [s for s in slugs if s not in specs]
    if unknown:
        raise KeyError(f"unknown platform(s): {', '.join(unknown)}; known: {', '.join(sorted(specs))}")
    chosen = [specs[s] for s in (slugs or list(specs))]
    refused = {spec.slug: problem for spec in chosen if (problem := definition_problem(spec))}
    with ExitStack() as locks:  # each platform's lock in the store, held until its crawl has ended
        held_off: dict[str, HarvestOutcome] = {}  # busy, or harvested since enqueued
        for spec in chosen:
            if spec.slug in refused:
                continue
            claimed = claim(config, spec.slug, enqueued_at=enqueued_at)
            if isinstance(claimed, HarvestOutcome):
                held_off[spec.slug] = claimed
            else:
                locks.callback(claimed.release)
        harvesting = [spec for spec in chosen if spec.slug not in refused and spec.slug not in held_off]
        close_dead_runs(config, [spec.slug for spec in harvesting])
        process = CrawlerProcess(crawl_settings(config))
        crawlers = []
        for spec in harvesting:
            crawler = process.create_crawler(spider_class_for(spec))
            process.crawl(crawler)
            crawlers.append((spec.slug, crawler))
        logsafety.install()  # after create_crawler: each crawler replaces Scrapy's root handler
        recorded = record_refusals(config, refused)
        if crawlers:
            process.start()
    ran = {slug: crawler.stats.get_value(STAT_PREFIX + "run_id") if crawler.stats else None
           for slug, crawler in crawlers}
    return [held_off.get(spec.slug) or HarvestOutcome(spec.slug, recorded.get(spec.slug, ran.get(spec.slug)))
            for spec in chosen]


def close_dead_runs(config: HarvesterConfig, locked: Sequence[str]) -> None:
    """Close as abandoned the "running" runs of platforms whose locks this process has just taken: their
    processes died (on any host; the lock went with them), and their runs would otherwise wait 24 h."""
    if not locked:
        return
    with store_for(config.db_url).transaction() as repo:
        for slug in locked:
            if abandoned := repo.abandon_runs_of_dead_holders(slug):
                logger.warning("%s: %d earlier run(s) died without an outcome; closed as abandoned", slug, abandoned)


def record_refusals(config: HarvesterConfig, refused: Mapping[str, str]) -> dict[str, int]:
    """A failed run (class `definition`) for each platform whose definition cannot be harvested, so the run
    table, `harvester run` and the monitors name it while the other platforms of the process go ahead."""
    if not refused:
        return {}
    recorded = {}
    with Store.open(config.db_url) as store, store.transaction() as repo:
        for slug, problem in refused.items():
            logger.error("%s: not harvested, its definition is invalid: %s", slug, problem)
            recorded[slug] = repo.start_run(slug, os.getpid())
            repo.finish_run(recorded[slug], "failed", {}, error=f"definition invalid: {problem}",
                            failure_class="definition")
    return recorded
