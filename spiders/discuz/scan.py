"""Per-board bookkeeping of a Discuz list scan by last-post time: what to read, when to stop, the new cursor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class LastPostScan:
    """Tracks one board during a crawl; the cursor is the newest last-post time fully stored.

    The board lists threads by last post, newest first, so every thread with a post since the last run sits
    above the cursor. The list shows last posts to the minute only, so the cursor's own minute is read again
    (a post later in that minute looks the same). The cursor moves only once the list was paged down past it
    and every thread read from it was handled, and never past a thread whose read failed.
    """

    board_id: str
    old_cursor: datetime | None
    seen: dict[str, datetime] = field(default_factory=dict)  # tid -> last post, normal threads only
    pending: dict[str, datetime] = field(default_factory=dict)  # tid -> last post, read under way
    failed: dict[str, datetime] = field(default_factory=dict)
    list_complete: bool = False
    list_broken: bool = False
    cursor_emitted: bool = False

    def wants(self, last_post: datetime) -> bool:
        """Whether a thread with this last post may hold posts the store does not have."""
        return self.old_cursor is None or last_post >= self.old_cursor

    def reached_cursor(self, oldest_on_page: datetime | None) -> bool:
        """Paging stops below the cursor; pinned threads are not passed in (they sit on top whatever their age)."""
        return self.old_cursor is not None and oldest_on_page is not None and oldest_on_page < self.old_cursor

    def requested(self, tid: str, last_post: datetime) -> None:
        self.pending[tid] = last_post

    def handled(self, tid: str, ok: bool) -> None:
        last_post = self.pending.pop(tid)
        if not ok:
            self.failed[tid] = last_post

    def ready(self) -> bool:
        """True once, when the cursor may be written."""
        return self.list_complete and not self.list_broken and not self.pending and not self.cursor_emitted

    def new_cursor(self) -> datetime | None:
        """The newest last post seen below the oldest failure, or the old cursor if nothing newer is safe."""
        limit = min(self.failed.values(), default=None)
        safe = [moment for moment in self.seen.values() if limit is None or moment < limit]
        candidates = [c for c in (max(safe, default=None), self.old_cursor) if c is not None]
        return max(candidates, default=None)
