"""What every Playwright back-office reply adapter shares: the browser it drives, one login at a time, receipts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from adapters.browser import PlaywrightFetchAdapter
from adapters.protocols import ReplyOutcome, ReplyReceipt

CredentialsLookup = Callable[[str], Mapping[str, str]]


def normalised(text: str) -> str:
    """Text with every run of whitespace folded to one space (how replies are compared)."""
    return " ".join(text.split())


def receipt(outcome: ReplyOutcome, message: str, status: int, reply_id: str | None = None,
            retry_after_s: float | None = None) -> ReplyReceipt:
    """A receipt carrying the platform's own words; `raw` is a short excerpt, never credentials."""
    return ReplyReceipt(outcome=outcome, platform_reply_id=reply_id, platform_message=message,
                        retry_after_s=retry_after_s, raw=f"HTTP {status}: {message}"[:200])


class BrowserBackOffice:
    """Holds the browser (its own, or a shared one left to its owner) and serialises calls: the browser keeps
    one context per site, so one login per site at a time."""

    def __init__(self, base_url: str, credentials_lookup: CredentialsLookup,
                 fetcher: PlaywrightFetchAdapter | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials_lookup
        self._owns_fetcher = fetcher is None
        self._fetcher = fetcher or PlaywrightFetchAdapter(max_contexts=1, max_pages=2)
        self._timeout_ms = self._fetcher.timeout_s * 1000
        self._account: str | None = None  # whose session the site's context holds, as far as we know
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Close the browser if this adapter started it; idempotent."""
        if self._owns_fetcher:
            await self._fetcher.close()
