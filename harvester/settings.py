"""Scrapy settings for every harvest (`scrapy crawl`, `harvester harvest`, cron). Grouped, alphabetised.

Override order: these defaults < HarvesterConfig.to_scrapy_settings() < a platform's own politeness values.
"""

from __future__ import annotations

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
COOKIES_ENABLED = True
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3
ROBOTSTXT_OBEY = False  # offices harvest boards addressed to themselves; decided per deployment
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

# --- Security: no code-execution surfaces ----------------------------------------------------------
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's HTTP server that executes code is on by default
TELNETCONSOLE_ENABLED = False

# --- Logging: citizens' personal data never reaches logs -------------------------------------------
LOG_FORMATTER = "harvester.logformat.QuietItemsLogFormatter"
LOG_LEVEL = "INFO"

# --- Reactor and feeds -----------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# --- Harvester values, read once from the environment / config file --------------------------------
locals().update(load_config().to_scrapy_settings())
