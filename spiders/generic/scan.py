"""A board's list scan when the cursor is any ordered value (serial ids, G20181227-0026, AH26111500001)."""

from __future__ import annotations

from dataclasses import dataclass, field


def order_key(value: str) -> tuple[int, int, str]:
    """Numbers compare as numbers, anything else as text (letter numbers that start with a date sort right)."""
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def oldest(values: list[str]) -> str | None:
    return min(values, key=order_key) if values else None


@dataclass
class KeyScan:
    """Tracks one board during a crawl, like spiders.scan.BoardScan but over ordered text keys.

    The cursor (highest key known stored) moves only when the list was scanned down to the old cursor and
    every detail started for it was handled; it never moves past a letter whose detail failed. `floor` is the
    oldest open letter due for a re-check through the list: paging goes on down to it.
    """

    board_id: str
    old_cursor: str | None
    floor: str | None = None
    seen: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    list_complete: bool = False
    list_broken: bool = False
    cursor_emitted: bool = False

    def stop_at(self) -> str | None:
        """Paging may stop once a page reaches this key (None: read the whole list)."""
        if self.old_cursor is None:
            return None
        return oldest([k for k in (self.old_cursor, self.floor) if k is not None])

    def reached(self, oldest_on_page: str | None) -> bool:
        stop = self.stop_at()
        return stop is not None and oldest_on_page is not None and order_key(oldest_on_page) <= order_key(stop)

    def requested(self, key: str) -> None:
        self.pending.add(key)

    def handled(self, key: str, ok: bool) -> None:
        self.pending.discard(key)
        if not ok:
            self.failed.add(key)

    def ready(self) -> bool:
        """True once, when the cursor may be written."""
        return self.list_complete and not self.list_broken and not self.pending and not self.cursor_emitted

    def new_cursor(self) -> str | None:
        """Highest key seen below the oldest failure (or the old cursor if nothing newer is safe)."""
        first_failure = oldest(list(self.failed))
        safe = [k for k in self.seen if first_failure is None or order_key(k) < order_key(first_failure)]
        candidates = [k for k in (max(safe, key=order_key, default=None), self.old_cursor) if k is not None]
        return max(candidates, key=order_key, default=None)
