"""Scrapy's downloader with a site's concurrency limit that holds (`DOWNLOADER` in harvester.settings).

Scrapy 2.19 starts a download by scheduling a task, and the download counts against its slot's concurrency
only once that task runs. Its queue loop checks the free slots before any task it scheduled has run, so with
no download delay every queued request of a site starts at once, whatever CONCURRENT_REQUESTS_PER_DOMAIN
says: a platform's `concurrency = 2` let 30 requests hit the site together. Here a request counts as
transferring from the moment it leaves the queue; `_download` adds it again (a set) and removes it when done.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro


class PoliteDownloader(Downloader):
    """Scrapy's Downloader; only the queue loop differs (one line: the request is counted when popped)."""

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # processing resumes when the pending delay call fires
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the fix: counted now, not when its task gets to run
            deferred_from_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # no burst when a delay is configured
                self._process_queue(slot)
                break
