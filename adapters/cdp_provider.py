"""scrapy-playwright's browser for a crawl given a kept browser: connect over CDP, or launch one if it is gone."""

from __future__ import annotations

import logging

from playwright.async_api import Browser
from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.provider import PlaywrightBrowserProvider

from adapters.browser import first_line
from adapters.playwright_settings import chromium_launch_options

logger = logging.getLogger(__name__)


class ConnectOrLaunch(PlaywrightBrowserProvider):
    """PLAYWRIGHT_BROWSER_PROVIDER: connect to PLAYWRIGHT_CDP_URL (the crawl's contexts are its own and closing
    the crawl only disconnects); a kept browser that does not answer costs one warning and a launched Chromium
    (headless, the usual flags), never the harvest."""

    async def launch_browser(self) -> Browser:
        if self.config.cdp_url and self.browser_type is not None:
            try:
                return await self.browser_type.connect_over_cdp(self.config.cdp_url, **self.config.cdp_kwargs)
            except PlaywrightError as error:
                logger.warning("the kept chromium at %s does not answer (%s); launching one for this crawl",
                               self.config.cdp_url, first_line(error, 200))
                self.config.cdp_url = None  # a restart after a disconnection launches too
        if self.browser_type is None:
            raise RuntimeError("start() must be awaited before launch_browser()")
        return await self.browser_type.launch(**(self.config.launch_options or chromium_launch_options()))
