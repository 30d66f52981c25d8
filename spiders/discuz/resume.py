"""Reading a changed thread from the page where it changed: which page to start at, and the whole thread put
back together from the stored floors and the pages read. Pure functions, no fetching, no store.

Why: the board list says a thread got a new last post (or shares the cursor's minute), not what changed. New
floors are appended at the end, so for a thread the store already holds only its last page(s) are new; reading
a 40-page thread from page 1 for one new post costs 40 requests, reading from the page that holds the last
stored floor costs one or two.

Where to start. Page n of a thread shows `posts_per_page` (the forum's `ppp`) floors. The store keeps the
opening post and K readable replies; floors a moderator hid (`div.locked`) and, on real Discuz X3, gaps left by
deleted or queued posts also take places, and only ever push a floor *later*. So the last stored reply sits at
place K or later (the opening post is place 0), that is on page `K // ppp + 1` or later: a read from that page
overlaps the stored floors by at least one, whether the forum pages by position (Discuz X3's `position`
column, gaps kept) or by visible post (the replica). Hidden floors are deliberately not used to start later:
the count of them comes from the board cursor and may be stale or forgotten, so when in doubt the read starts
earlier. A thread whose start page is 1 is simply read whole.

Page 1 and the opening post. A partial read takes title and type from the pages it reads (every page shows
them), the opening post (body, author, time) from the store, and the 查看/回复 counts from the board list row
that started the read: real Discuz shows those counters on page 1 only (later pages have div#tath instead).
Editing the opening post does not move the thread's last post, so the list never announces it; only a full
read would see it, and a thread that fits on the pages read anyway is read whole from page 1.

Trust. The merged message replaces the stored one (the store drops replies a harvested message does not
carry), so the merge is refused (`Untrusted`, and the spider reads the thread whole) unless all of these hold:
the forum served the page asked for (it shows the last page instead of a page past the end: the thread shrank);
the first floor read is not below `(page - 1) * ppp + 1` and no page shows more than `ppp` floors (else `ppp` is
misconfigured); the pages read hold a stored reply and every stored reply from the first floor read on (pids
grow with floors); no floor older than the stored thread's newest post appears readable that the store does not
hold (a reply approved from the moderation queue or a floor unlocked: something changed in the middle); and the
thread's reply count adds up: stored replies before the pages read + floors read + the hidden floors the cursor
knows for the thread (less those seen locked on the pages read) = the count the board list shows. A count that
does not add up means a floor appeared or vanished before the pages read.

Not seen by a partial read (a full read would see them): an edit of a reply on a page not read, an edit of the
opening post, and a moderator hiding or releasing a floor on a page not read (the count does not change). A
deleted floor or an approved reply on such a page changes the count and so falls back to a full read, unless
both happen between two harvests and cancel out. Re-checks of open threads (recheck_statuses) read whole, so
such changes, and a moderator closing the thread, are caught at the thread's next re-check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.schema import Message, Reply
from spiders.discuz.messages import Opening, ThreadContext, build_message, merged_posts, post_reply, refiled
from spiders.discuz.pages import PostView, ThreadPage


@dataclass(frozen=True, slots=True)
class StoredThread:
    """What the store holds of a thread: the opening post, its readable replies in floor order, and the time
    of the newest floor (hidden ones included) when it was last read."""

    opening: Opening
    replies: tuple[Reply, ...]
    updated_at: datetime


def stored_thread(record: Mapping[str, Any]) -> StoredThread:
    """The thread from a stored message record (`Repository.get_message`)."""
    replies = tuple(Reply(text=r["text"], organisation=r["organisation"], replied_at=r["replied_at"],
                          external_id=r["external_id"], author=r["author"], official=r["official"],
                          title=r["title"]) for r in record["replies"])
    opening = Opening(record["author"], record["posted_at"], record["body"])
    return StoredThread(opening, replies, record["updated_at"] or record["posted_at"])


@dataclass(frozen=True, slots=True)
class Resume:
    """A partial read: the page it starts at, the floors the thread hid when last read (board cursor), and the
    list row's 回复 and 查看 (the pages after page 1 do not show them)."""

    page: int
    hidden: int
    replies: int | None = None
    views: int | None = None


class Untrusted(Exception):  # noqa: N818 - a verdict on the merge, not a failure of the crawl
    """The pages read cannot be merged with the stored floors; the thread must be read whole."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resume_page(stored_replies: int, posts_per_page: int) -> int:
    """The first page that can hold the last stored reply (and so every newer floor); 1 = read whole."""
    return stored_replies // posts_per_page + 1


def resumed_message(stored: StoredThread, pages: Sequence[ThreadPage], resume: Resume, context: ThreadContext,
                    source: Snapshot) -> Message:
    """The whole thread from `pages` (read from `resume.page` to the end) and the stored floors before them.

    Untrusted when the two cannot be joined safely (see the module docstring); LayoutChanged as for a full read.
    """
    ppp = context.options.posts_per_page
    posts = _served(pages, resume.page, ppp)
    before = _before(stored.replies, posts)
    counted = next((page.replies for page in pages if page.replies is not None), resume.replies)
    if counted is None:
        raise Untrusted("no reply count: neither the pages read nor the board list gave one")
    _count_adds_up(stored, posts, before, counted, resume.hidden)
    replies = [refiled(reply, context.options) for reply in before]
    replies += [post_reply(post, context.options) for post in posts if post.text is not None]
    newest = max([stored.opening.posted_at, *(post.posted_at for post in posts),
                  *(reply.replied_at for reply in before if reply.replied_at)])
    return build_message(pages, stored.opening, replies, newest, context, source, views=resume.views)


def _served(pages: Sequence[ThreadPage], start: int, ppp: int) -> list[PostView]:
    """The floors read, once the pages are the ones asked for and their floors fit the page arithmetic."""
    if start < 2:
        raise Untrusted("a read from page 1 is a full read, not a resumed one")
    if not pages or pages[0].page != start:
        served = pages[0].page if pages else None
        raise Untrusted(f"asked for page {start}, the forum served page {served} (the thread shrank)")
    crowded = [page.page for page in pages if len(page.posts) > ppp]
    if crowded:
        raise Untrusted(f"page {crowded[0]} shows more than {ppp} floors: is posts_per_page the forum's ppp?")
    posts = merged_posts(pages)
    if not posts:
        raise Untrusted(f"page {start} shows no floors")
    lowest = (start - 1) * ppp + 1
    if posts[0].floor < lowest:
        raise Untrusted(f"page {start} starts at floor {posts[0].floor}, below {lowest}: "
                        "is posts_per_page the forum's ppp?")
    return posts


def _pid(value: str | None) -> int:
    if not value or not value.isdigit():
        raise Untrusted(f"stored reply id {value!r} is not a Discuz pid")
    return int(value)


def _before(stored: Sequence[Reply], posts: Sequence[PostView]) -> list[Reply]:
    """The stored replies before the first floor read; every later one must be among the floors read."""
    first = int(posts[0].pid)
    before = [reply for reply in stored if _pid(reply.external_id) < first]
    if before != list(stored[:len(before)]):
        raise Untrusted("stored replies are not in pid order")
    after = stored[len(before):]
    if not after:
        raise Untrusted("the pages read hold no stored reply: cannot tell where the stored floors end")
    read = {post.pid for post in posts}
    missing = [reply.external_id for reply in after if reply.external_id not in read]
    if missing:
        raise Untrusted(f"stored reply {missing[0]} is no longer on the pages read")
    return before


def _count_adds_up(stored: StoredThread, posts: Sequence[PostView], before: Sequence[Reply], counted: int,
                   hidden: int) -> None:
    """The thread's reply count = stored replies before the pages read + hidden floors before them + floors
    read. Floors the store lacks that are older than its newest post were hidden when it was last read (still
    locked: fine, they are among `hidden`) or have just become readable (approved or unlocked: refused)."""
    known = {reply.external_id for reply in stored.replies}
    older = [post for post in posts if post.pid not in known and post.posted_at <= stored.updated_at]
    released = [post.pid for post in older if post.text is not None]
    if released:
        raise Untrusted(f"floor {released[0]} is older than the stored thread but was not readable then")
    hidden_before = hidden - len(older)
    if counted != len(before) + hidden_before + len(posts):
        raise Untrusted(f"the thread counts {counted} replies, the store and the pages read account for "
                        f"{len(before)} + {hidden_before} hidden + {len(posts)}")
