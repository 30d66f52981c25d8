"""Scrapy settings for every harvest (`scrapy crawl`, `harvester harvest`, cron). Grouped, alphabetised.

Override order: these defaults < HarvesterConfig.to_scrapy_settings() < a platform's own politeness values
(download_delay, concurrency, download_maxsize, download_warnsize in its definition or [platforms.<slug>]).
Nothing is read at import: `harvester harvest` puts its settings object on top where it makes the crawler
process (harvester.app.harvest.crawl_settings); a plain `scrapy crawl` gets the same from ConfigAddon.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from harvester.config import load_config

BOT_NAME = "liuyan-harvester"

# --- Platforms and spiders -------------------------------------------------------------------------
SPIDER_LOADER_CLASS = "harvester.spiderloader.PlatformSpiderLoader"
SPIDER_MODULES: list[str] = []

# --- Item pipelines: normalise -> validate -> store (quarantine is the store of what failed) ---------
PIPELINE_NORMALISE = 100
PIPELINE_VALIDATE = 200
PIPELINE_STORE = 900
ITEM_PIPELINES = {
    "harvester.pipelines.normalise.NormalisePipeline": PIPELINE_NORMALISE,
    "harvester.pipelines.validate.ValidatePipeline": PIPELINE_VALIDATE,
    "sinks.store_pipeline.StorePipeline": PIPELINE_STORE,
}

# --- Politeness and robustness ---------------------------------------------------------------------
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOADER = "harvester.downloader.PoliteDownloader"  # a site's concurrency limit that holds (see the module)
# Items processed at once per response. Scrapy 2.19 starts this many worker tasks for every response however
# few items it yields; ours yield one message (a detail page) or a page of requests, so 100 was pure overhead.
CONCURRENT_ITEMS = 16
COOKIES_ENABLED = True
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # bytes; a larger page is cancelled (failure class too_large), not read whole
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # bytes; a larger page is logged (letters and list pages are far smaller)
RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3
# Scrapy checks each callback for a generator that returns a value by reading and parsing its source, cached by
# the bound method, which is new for every request: 3-4% of a harvest's CPU. tests/unit/test_generator_returns.py
# makes the same check over our spiders' source once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
ROBOTSTXT_OBEY = False  # offices harvest boards addressed to themselves; decided per deployment
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

# --- JavaScript cookie challenges (知道创宇 加速乐): passed in Chromium, then crawled with their cookies ----------
# spiders/middlewares/challenge.py; per platform: options.solve_challenges, options.challenge_max_solves.
# 570: after the cookies (700) and decompression (590) middlewares have seen a response, before retries (550).
DOWNLOADER_MIDDLEWARE_CHALLENGE = 570
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.challenge.ChallengeMiddleware": DOWNLOADER_MIDDLEWARE_CHALLENGE}
CHALLENGE_SOLVE = "521"  # HTTP 521 challenges only; "all" adds HTTP 200 script interstitials; "off"
CHALLENGE_SOLVE_MAX_PER_HOST = 5  # browser solves per host and run; then challenge pages are soft blocks
CHALLENGE_SOLVE_TIMEOUT = 30  # seconds one solve may take

# --- Security: no code-execution surfaces ----------------------------------------------------------
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's HTTP server that executes code is on by default
TELNETCONSOLE_ENABLED = False

# --- Logging: citizens' personal data never reaches logs -------------------------------------------
LOG_FORMATTER = "harvester.logformat.QuietItemsLogFormatter"
LOG_LEVEL = "INFO"

# --- Reactor and feeds -----------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# --- Harvester values: from the settings object, read once where the crawler process is made ---------------
ADDONS = {"harvester.settings.ConfigAddon": 0}


def apply_config(settings: BaseSettings) -> None:
    """The harvester's settings on top of these, read now, unless the caller put them there already."""
    if settings.getpriority("HARVESTER_DB_URL") is None:
        settings.update(load_config().to_scrapy_settings(), priority="addon")


class ConfigAddon:
    """Reads harvester.toml and the HARVESTER_* variables for `scrapy crawl`, before its spider loader is made."""

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        apply_config(settings)

    def update_settings(self, settings: BaseSettings) -> None:
        apply_config(settings)
