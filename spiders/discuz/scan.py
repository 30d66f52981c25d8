"""Per-board bookkeeping of a Discuz list scan: what to read (last post, reply count), when to stop, the cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

CURSOR_LIMIT = 255  # board_cursors.value is a VARCHAR(255)
HIDDEN_MARK = " hidden="


@dataclass(frozen=True, slots=True)
class ScanCursor:
    """A board's stored cursor: the newest last post fully stored, and the threads whose list reply count
    is not the number of replies the store keeps (floors a moderator hid are counted by the list, not kept)."""

    last_post: datetime | None
    hidden: Mapping[str, int] = field(default_factory=dict)


def decode_cursor(value: str | None) -> ScanCursor:
    """'2026-11-25T13:28:00+08:00' or '2026-11-25T13:28:00+08:00 hidden=180123:2,180150:1'."""
    if not value:
        return ScanCursor(None)
    moment, _, hidden = value.partition(HIDDEN_MARK)
    pairs = (item.split(":", 1) for item in hidden.split(",") if item)
    return ScanCursor(datetime.fromisoformat(moment), {tid: int(count) for tid, count in pairs})


def encode_cursor(last_post: datetime, hidden: Mapping[str, int]) -> str:
    """The cursor as stored, `hidden` in the order given; entries that do not fit are left out (those threads
    are merely read once more when their count is compared again)."""
    value = last_post.isoformat()
    entries = [f"{tid}:{count}" for tid, count in hidden.items() if count]
    while entries and len(value) + len(HIDDEN_MARK) + len(",".join(entries)) > CURSOR_LIMIT:
        entries.pop()
    return value + HIDDEN_MARK + ",".join(entries) if entries else value


@dataclass
class LastPostScan:
    """Tracks one board during a crawl; the cursor is the newest last-post time fully stored.

    The board lists threads by last post, newest first, so every thread with a post since the last run sits
    above the cursor. The list shows last posts to the minute only, so the cursor's own minute is read again
    (a post later in that minute looks the same). The cursor moves only once the list was paged down past it
    and every thread read from it was handled, and never past a thread whose read failed.

    A reply a moderator approves does not always move its thread's last post (Discuz keeps the old one when
    the thread got a newer reply meanwhile), but it always adds one to the list's reply count. So a thread
    the store knows is read again when the list counts a different number of replies than the store keeps
    plus the floors that thread is known to hide (`hidden`, learned when it was last read).
    """

    board_id: str
    old_cursor: datetime | None
    hidden: Mapping[str, int] = field(default_factory=dict)  # from the stored cursor
    old_value: str | None = None  # the stored cursor as it reads, to tell whether it changed
    seen: dict[str, datetime] = field(default_factory=dict)  # tid -> last post, normal threads only
    compared: dict[str, datetime] = field(default_factory=dict)  # tid -> last post, threads whose count counts
    learned: dict[str, int] = field(default_factory=dict)  # tid -> hidden floors, from this run's reads
    pending: dict[str, datetime] = field(default_factory=dict)  # tid -> last post, read under way
    failed: dict[str, datetime] = field(default_factory=dict)
    list_complete: bool = False
    list_broken: bool = False
    cursor_emitted: bool = False

    def wants(self, last_post: datetime) -> bool:
        """Whether a thread with this last post may hold posts the store does not have."""
        return self.old_cursor is None or last_post >= self.old_cursor

    def recount(self, tid: str, listed: int, stored: int) -> bool:
        """Whether the list's reply count says the thread changed although its last post did not."""
        return listed != stored + self.hidden_floors(tid)

    def hidden_floors(self, tid: str) -> int:
        return self.learned.get(tid, self.hidden.get(tid, 0))

    def learn(self, tid: str, counted: int, kept: int) -> None:
        """After a read: the thread page counted `counted` replies, of which `kept` are readable replies."""
        self.learned[tid] = counted - kept

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

    def cursor_value(self) -> str | None:
        """The cursor to store: the new last-post cursor, with the hidden floors of the threads this scan
        compared (most recently bumped first); threads no longer listed this high are forgotten."""
        last_post = self.new_cursor()
        if last_post is None:
            return None
        newest_first = sorted(self.compared, key=lambda tid: self.compared[tid], reverse=True)
        return encode_cursor(last_post, {tid: self.hidden_floors(tid) for tid in newest_first})
