"""A board's list scan when the cursor is any ordered value (serial ids, G20181227-0026, AH26111500001), or
several joined by "|" (G20180321-0036|ff80…: a letter number that two letters share, then the id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from harvester.definition.model import CURSOR_SEPARATOR

PartKey = tuple[int, int, str]


def _part_key(value: str) -> PartKey:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def order_key(value: str) -> tuple[PartKey, ...]:
    """Numbers compare as numbers, anything else as text (letter numbers that start with a date sort right);
    a joined key compares part by part, so a key of the number alone (a cursor stored before the id was
    added) sorts before every key that starts with that number."""
    return tuple(_part_key(part) for part in value.split(CURSOR_SEPARATOR))


def join_key(parts: Iterable[str]) -> str:
    """One key from the cursor fields' values."""
    return CURSOR_SEPARATOR.join(parts)


def oldest(values: list[str]) -> str | None:
    return min(values, key=order_key) if values else None


@dataclass
class KeyScan:
    """Tracks one board during a crawl, like spiders.scan.BoardScan but over ordered text keys.

    The cursor (highest key known stored) moves only when the list was scanned down to the old cursor and
    every detail started for it was handled; it never moves past a letter whose detail failed. `floor` is the
    oldest open letter due for a re-check through the list: paging goes on down to it. Letters in flight are
    tracked by their id, not their key: two letters may share a key when the cursor is not unique.
    """

    board_id: str
    old_cursor: str | None
    floor: str | None = None
    seen: set[str] = field(default_factory=set)
    pending: dict[str, str] = field(default_factory=dict)  # letter id -> its key
    failed: set[str] = field(default_factory=set)
    lookback: timedelta | None = None  # read on while a page shows letters this close to the newest listed
    newest_posted: datetime | None = None
    list_complete: bool = False
    list_broken: bool = False
    cursor_emitted: bool = False

    def stop_at(self) -> str | None:
        """Paging may stop once a page reaches this key (None: read the whole list)."""
        if self.old_cursor is None:
            return None
        return oldest([k for k in (self.old_cursor, self.floor) if k is not None])

    def within_lookback(self, posted: Iterable[datetime]) -> bool:
        """Note the page's posting times; True while its oldest letter is within the look-back window of the
        newest letter listed (a letter answered late appears at its old place: the page after may hold one)."""
        dates = list(posted)
        if self.lookback is None or not dates:
            return False
        self.newest_posted = max([*dates, *([self.newest_posted] if self.newest_posted else [])])
        return min(dates) >= self.newest_posted - self.lookback

    def reached(self, oldest_on_page: str | None, unknown: Iterable[str] = (), last_known: bool = True) -> bool:
        """Whether paging may stop after this page: it reaches the stop key, its last letter is one the store
        knows, and no letter on it that the store does not know sorts at or below the stop key.

        On a list in key order the last two conditions always hold once the first does. They matter where the
        order is another one: 大连 lists by gdId, so a letter made by a server started later stays above newer
        letters with older numbers (the page then reaches the key while its new letters run on to the next
        page), and a letter published late shows an old number among new ones."""
        stop = self.stop_at()
        if stop is None or oldest_on_page is None or order_key(oldest_on_page) > order_key(stop) or not last_known:
            return False
        return all(order_key(key) > order_key(stop) for key in unknown)

    def requested(self, letter_id: str, key: str) -> None:
        self.pending[letter_id] = key

    def handled(self, letter_id: str, ok: bool) -> None:
        key = self.pending.pop(letter_id, None)
        if not ok and key is not None:
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
