"""How far below a board's tid cursor a 领导留言板 list is read again, for messages published late.

A message gets its tid when it is posted but is listed only once approved (threadsCheckTime), hours or days later;
meanwhile newer tids are listed and move the cursor past it. The list stays in tid order, so such a message turns
up below the cursor, where the shared scan (spiders/scan.py) would have stopped paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from spiders.people.api import ListItem, ListPage
from spiders.scan import BoardScan


@dataclass
class LookbackScan(BoardScan):
    """A BoardScan whose paging goes on below the old cursor until the page's oldest message was published more
    than `lag` before the newest publication the board shows. The site's own times set the horizon, so a skewed
    local clock (or a replica's) changes nothing. A message posted at d and published at p is caught when
    (p - d) + the time until the next harvest <= lag. `lag` 0: stop at the cursor, as other families do.

    `backfill`: a board harvested for the first time (no cursor) is read only back to this long before its newest
    publication, not through its whole history (a provincial secretary's board holds tens of thousands of
    messages); older ones are never fetched. None: the whole history."""

    lag: timedelta = timedelta(0)
    backfill: timedelta | None = None  # a board's first harvest reads back this far from its newest message
    latest_published: datetime | None = None
    lookback_pages: int = 0  # pages read only because of the look-back

    def note(self, listing: ListPage) -> None:
        """Take the page's publication times into the newest the board shows (call before judging its items)."""
        times = [item.published for item in listing.items if item.published is not None]
        if times:
            self.latest_published = max([*times, *filter(None, [self.latest_published])])

    def before_backfill(self, item: ListItem) -> bool:
        """On a board's first harvest with a backfill window: a message published before the window starts."""
        if self.old_cursor is not None or self.backfill is None or self.latest_published is None:
            return False
        return item.published is not None and item.published < self.latest_published - self.backfill

    def paging_done(self, listing: ListPage) -> bool:
        """Whether this page ends the board's scan (the caller still stops at the list's end)."""
        self.note(listing)
        if listing.items and self.before_backfill(min(listing.items, key=lambda item: item.tid)):
            return True  # newest first: the pages after this one are older still
        if not self.reached_cursor(listing.oldest):
            return False
        if self.within_lookback(listing):
            self.lookback_pages += 1
            return False
        return True

    def within_lookback(self, listing: ListPage) -> bool:
        oldest = min(listing.items, key=lambda item: item.tid)
        if self.lag <= timedelta(0) or oldest.published is None or self.latest_published is None:
            return False
        return oldest.published >= self.latest_published - self.lag

    def published_within_lag(self, item: ListItem) -> bool:
        """Whether an unknown message below the cursor can be a late publication: published within `lag` of the
        newest (when the times are not there, or there is no look-back, it is taken as one)."""
        if self.lag <= timedelta(0) or item.published is None or self.latest_published is None:
            return True
        return item.published >= self.latest_published - self.lag

    def below_cursor(self, tid: int) -> bool:
        """A tid the previous runs had already scanned past: unknown to the store, it was published late."""
        return self.old_cursor is not None and tid <= self.old_cursor
