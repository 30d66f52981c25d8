"""Run harvests: one Scrapy process crawling the chosen platforms concurrently, each recorded as a run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from harvester import logsafety
from harvester.config import HarvesterConfig
from harvester.registry import platforms_for
from harvester.runs import STAT_PREFIX
from harvester.spiderloader import spider_class_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HarvestOutcome:
    """Which run recorded each platform's crawl (None if the crawl never opened)."""

    platform: str
    run_id: int | None


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
    process = CrawlerProcess(crawl_settings(config))
    crawlers = []
    for spec in chosen:
        crawler = process.create_crawler(spider_class_for(spec))
        process.crawl(crawler)
        crawlers.append((spec.slug, crawler))
    logsafety.install()  # after create_crawler: each crawler replaces Scrapy's root handler
    process.start()
    return [HarvestOutcome(slug, crawler.stats.get_value(STAT_PREFIX + "run_id") if crawler.stats else None)
            for slug, crawler in crawlers]
