"""Per-board bookkeeping of a list scan, deciding when to stop paging and how far the cursor may move."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BoardScan:
    """Tracks one board during a crawl.

    The cursor (highest id known stored) moves only when the list was scanned down to the old cursor and every
    detail fetched for it has been handled; it never moves past a letter whose detail failed, so a failure or a
    crash makes the next run look again instead of skipping letters.
    """

    board_id: str
    old_cursor: int | None
    seen: set[int] = field(default_factory=set)
    pending: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    list_complete: bool = False
    list_broken: bool = False
    cursor_emitted: bool = False

    def reached_cursor(self, oldest_on_page: int | None) -> bool:
        return self.old_cursor is not None and oldest_on_page is not None and oldest_on_page <= self.old_cursor

    def requested(self, item_id: int) -> None:
        self.pending.add(item_id)

    def handled(self, item_id: int, ok: bool) -> None:
        self.pending.discard(item_id)
        if not ok:
            self.failed.add(item_id)

    def ready(self) -> bool:
        """True once, when the cursor may be written."""
        return self.list_complete and not self.list_broken and not self.pending and not self.cursor_emitted

    def new_cursor(self) -> int | None:
        """Highest id seen below the oldest failure (or the old cursor if nothing newer is safe)."""
        safe = [i for i in self.seen if not self.failed or i < min(self.failed)]
        candidates = [c for c in (max(safe, default=None), self.old_cursor) if c is not None]
        return max(candidates, default=None)
