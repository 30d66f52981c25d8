"""GET /changes: the change feed, with long-polling. Events are exactly those `harvester changes` prints."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request

from harvester.app.api.auth import Reader, store_of
from harvester.app.api.models import ChangesPage
from harvester.app.api.params import Seq
from harvester.app.api.settings import ApiSettings
from harvester.store.db import Store
from harvester.store.reads import latest_seq

router = APIRouter(tags=["changes"])


def _read(store: Store, since: int, limit: int) -> list[dict[str, Any]]:
    with store.transaction() as repo:
        return repo.events_since(since, limit=limit)


def _latest(store: Store) -> int:
    with store.transaction() as repo:
        return latest_seq(repo)


class FeedWatch:
    """The feed's newest seq, looked up at most once per interval for every waiting long-poll together, so
    a hundred waiting consumers cost the store one small query per interval, not a hundred."""

    def __init__(self, store: Store, interval_s: float) -> None:
        self.store, self.interval_s = store, interval_s
        self.newest, self.looked_at = 0, float("-inf")
        self._lock = asyncio.Lock()

    async def seq(self) -> int:
        async with self._lock:
            if time.monotonic() - self.looked_at >= self.interval_s:
                self.newest = await anyio.to_thread.run_sync(_latest, self.store)
                self.looked_at = time.monotonic()
            return self.newest


@router.get("/changes", response_model=ChangesPage,
             summary="Events with seq > since, oldest first; waits up to `wait` s when there are none")
async def changes(request: Request, _who: Reader, since: Seq = 0,
                  limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
                  wait: Annotated[float, Query(ge=0, le=3600)] = 0) -> dict[str, Any]:
    """Resume with `since` = the last seq you processed: the feed's seqs become visible in commit order, so a
    consumer that does so misses nothing and sees nothing twice. `next_since` is the seq to ask from next
    (the last event's, or `since` itself when none came)."""
    settings: ApiSettings = request.app.state.settings
    watch: FeedWatch = request.app.state.feed_watch
    store = store_of(request)
    deadline = time.monotonic() + min(wait, settings.max_wait_s)
    events = await anyio.to_thread.run_sync(_read, store, since, limit)
    while not events and time.monotonic() < deadline and not await request.is_disconnected():
        await anyio.sleep(min(settings.poll_interval_s, max(0.0, deadline - time.monotonic())))
        if await watch.seq() > since:
            events = await anyio.to_thread.run_sync(_read, store, since, limit)
    return {"events": events, "next_since": events[-1]["seq"] if events else since}
