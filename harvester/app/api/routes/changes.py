"""GET /changes: the change feed, with long-polling. Events are exactly those `harvester changes` prints."""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request

from harvester.app.api.auth import Reader, store_of
from harvester.app.api.models import ChangesPage
from harvester.app.api.params import Seq
from harvester.app.api.settings import ApiSettings
from harvester.store.db import Store

router = APIRouter(tags=["changes"])


def _read(store: Store, since: int, limit: int) -> list[dict[str, Any]]:
    with store.transaction() as repo:
        return repo.events_since(since, limit=limit)


@router.get("/changes", response_model=ChangesPage,
             summary="Events with seq > since, oldest first; waits up to `wait` s when there are none")
async def changes(request: Request, _who: Reader, since: Seq = 0,
                  limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
                  wait: Annotated[float, Query(ge=0, le=3600)] = 0) -> dict[str, Any]:
    """Resume with `since` = the last seq you processed: the feed's seqs become visible in commit order, so a
    consumer that does so misses nothing and sees nothing twice. `next_since` is the seq to ask from next
    (the last event's, or `since` itself when none came)."""
    settings: ApiSettings = request.app.state.settings
    store = store_of(request)
    deadline = time.monotonic() + min(wait, settings.max_wait_s)
    while True:
        events = await anyio.to_thread.run_sync(_read, store, since, limit)
        if events or time.monotonic() >= deadline or await request.is_disconnected():
            break
        await anyio.sleep(min(settings.poll_interval_s, max(0.0, deadline - time.monotonic())))
    return {"events": events, "next_since": events[-1]["seq"] if events else since}
