"""harvester/downloader.py overrides Scrapy's private Downloader._process_queue because stock Scrapy starts every
queued request of a site at once when no download delay is set (docs/performance.md). The first test fails the
day Scrapy fixes that: then the override (and the DOWNLOADER setting) should go."""

from __future__ import annotations

import subprocess
import sys

from tests.harvesting import ROOT

PROBE = ROOT / "tests" / "integration" / "downloader_probe.py"
ASYNCIO = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # the harvest's reactor
PER_SITE, REQUESTS = 2, 12


def most_in_flight(downloader: str) -> int:
    result = subprocess.run([sys.executable, str(PROBE), downloader, str(PER_SITE), str(REQUESTS), ASYNCIO],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


def test_stock_scrapy_still_breaks_the_per_site_limit_without_a_delay() -> None:
    most = most_in_flight("scrapy.core.downloader.Downloader")
    assert most > PER_SITE, (f"stock Scrapy now holds CONCURRENT_REQUESTS_PER_DOMAIN={PER_SITE} ({most} in flight at "
                             f"most): remove harvester/downloader.py and its DOWNLOADER setting")


def test_the_harvest_s_downloader_holds_the_per_site_limit() -> None:
    assert most_in_flight("harvester.downloader.PoliteDownloader") == PER_SITE
