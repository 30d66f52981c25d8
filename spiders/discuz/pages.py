"""Page objects of Discuz! X: the board list (forumdisplay) and one thread page (viewthread). Pure, no fetching."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from spiders.discuz.dates import clean, discuz_time
from spiders.discuz.posts import PostView, read_post

__all__ = ["BoardPage", "PostView", "ThreadPage", "ThreadRow", "parse_board", "parse_thread"]

ROW_ID = re.compile(r"(stickthread|normalthread)_(\d+)$")
PENDING = "待审核"  # footer mark of a reply awaiting approval, shown only to its author and to moderators
# The thread's latest moderation under the opening post (div.modact, thread_mod_by): 本主题由 网络问政版主 于
# 3&nbsp;小时前 关闭; the date goes through dgmdate 'u', so it is relative for a week like post dates.
MOD_ACTION = re.compile(r"本主题由\s*(?P<who>.+?)\s*于\s*(?P<when>.+?)\s+(?P<action>\S+)$")
# The marks after a list row's title, each `[label <span class="xw1">N</span> …]`: only 阅读权限 limits who may
# read; 售价 is a price (the thread page shows a purchase notice), 悬赏 a reward.
READPERM, PRICE = "阅读权限", "售价"
MOVED, MOVED_COUNT = "移动:", "-"
DELETED_FLOOR = "无效楼层"
TID_IN_LINK = re.compile(r"[?&]tid=(\d+)|thread-(\d+)-")
CLOSING_ACTIONS = {"关闭": True, "打开": False}  # other actions (高亮, 精华, 置顶 …) say nothing of it


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One thread as the board list shows it. `posted_on` has the list's precision (a day, sometimes minutes)."""

    tid: str
    title: str
    type_label: str | None
    author: str
    posted_on: datetime
    replies: int
    views: int
    last_post_at: datetime  # to the minute
    last_poster: str
    pinned: bool
    readperm: int  # 0 = anyone may read
    closed: bool = False  # 关闭的主题: th.lock (a moderator closed it; closing posts nothing)
    price: int = 0  # 售价 in credits: the opening post is for buyers; not a read permission
    moved_to: str | None = None  # a moved thread's stub (移动:): the tid it points to; counters show '-'


@dataclass(frozen=True, slots=True)
class BoardPage:
    rows: tuple[ThreadRow, ...]
    next_url: str | None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    subject: str
    type_label: str | None
    views: int | None  # the 查看/回复 counters are on page 1 only (later pages show div#tath: the thread author)
    replies: int | None
    page: int
    posts: tuple[PostView, ...]
    next_url: str | None
    closed: bool | None = None  # the opening post's latest moderation closed (or reopened) it; None: not said


def _text(node: Selector) -> str:
    return clean(" ".join(node.css("::text").getall()))


def _one(node: Selector, css: str, what: str) -> Selector:
    found = node.css(css)
    if not found:
        raise LayoutChanged(f"{what}: {css!r} not found")
    return found[0]


def _int(text: str, what: str) -> int:
    digits = clean(text)
    if not digits.isdigit():
        raise LayoutChanged(f"{what}: expected a number, got {digits!r}")
    return int(digits)


def _when(cell: Selector, now: datetime, what: str) -> datetime:
    """A date cell: `<span title="absolute">relative</span>` or plain absolute text."""
    titled = cell.css("span[title]")
    try:
        if titled:
            return discuz_time(_text(titled[0]), titled[0].attrib["title"], now)
        return discuz_time(_text(cell), None, now)
    except ValueError as error:
        raise LayoutChanged(f"{what}: {error}") from error


def _next_url(page: Selector, snapshot: Snapshot) -> str | None:
    """Follow 下一页 (a.nxt): a.last only appears when the 10-page window does not reach the end."""
    href = page.css("div.pg a.nxt::attr(href)").get()
    return urljoin(snapshot.url, href) if href else None


def _row(body: Selector, kind: str, tid: str, now: datetime) -> ThreadRow:
    what = f"list row {tid}"
    head = _one(body, "th", what)
    by = body.css("td.by")
    if len(by) != 2:
        raise LayoutChanged(f"{what}: {len(by)} td.by cells, expected 2 (author, last post)")
    title = _one(head, "a.xst", what)
    moved_to = _moved_to(head, title, what)
    replies, views = (_text(_one(body, "td.num a.xi2", what)), _text(_one(body, "td.num em", what)))
    return ThreadRow(
        tid=tid, title=_text(title), type_label=head.css("em > a::text").get(),
        author=_text(_one(by[0], "cite", what)), posted_on=_when(_one(by[0], "em", what), now, what),
        replies=0 if moved_to and replies == MOVED_COUNT else _int(replies, what),
        views=0 if moved_to and views == MOVED_COUNT else _int(views, what), moved_to=moved_to,
        last_post_at=_when(_one(by[1], "em", what), now, what), last_poster=_text(_one(by[1], "cite", what)),
        pinned=kind == "stickthread", readperm=_mark(head, READPERM, what), price=_mark(head, PRICE, what),
        closed="lock" in head.attrib.get("class", "").split())


def _moved_to(head: Selector, title: Selector, what: str) -> str | None:
    """A thread moved to another board with a redirect left behind: `移动: <a class="xst" href=…tid=NEW>` and
    '-' for its counters (forumdisplay: $thread['moved']); the tid it points to, else None."""
    if not any(MOVED in text for text in head.xpath("./text()").getall()):
        return None
    found = TID_IN_LINK.search(title.attrib.get("href", ""))
    if not found:
        raise LayoutChanged(f"{what}: a moved thread's link names no thread")
    return found.group(1) or found.group(2)


def _mark(head: Selector, label: str, what: str) -> int:
    """The number in `[label <span class="xw1">N</span>]` after the title, 0 without that mark."""
    for number in head.xpath(f"./span[@class='xw1'][contains(preceding-sibling::text()[1], '{label}')]"):
        return _int(_text(number), f"{what} {label}")
    return 0


def parse_board(snapshot: Snapshot) -> BoardPage:
    """Rows (pinned first, as the board shows them) and the next page; LayoutChanged without the thread table."""
    page = Selector(text=snapshot.text)
    table = _one(page, "table#threadlisttableid", "board")
    rows = []
    for body in table.css("tbody[id]"):
        found = ROW_ID.match(body.attrib["id"])
        if found:  # tbody#separatorline divides pinned threads from the others
            rows.append(_row(body, found.group(1), found.group(2), snapshot.fetched_at))
    return BoardPage(rows=tuple(rows), next_url=_next_url(page, snapshot))


def _placeholder(post: Selector) -> bool:
    """A rush-reply thread's gap (viewthread_node.htm, $post['deleted']): 无效楼层，该帖已经被删除, no post link."""
    return not post.css("a[id^=postnum]") and DELETED_FLOOR in " ".join(post.css("div.pct ::text").getall())


def _pending(post: Selector) -> bool:
    """A reply still in the moderation queue (invisible = -2): not public, so not part of the thread."""
    return any(PENDING in mark for mark in post.css("div.pob em span.xg1::text").getall())


def _closed(postlist: Selector, now: datetime) -> bool | None:
    """Closed or reopened, when the latest moderation shown on the opening post (div.modact) says so."""
    shown = postlist.css("div.pct div.modact")
    if not shown:
        return None
    found = MOD_ACTION.search(_text(shown[0]))
    if not found:
        raise LayoutChanged(f"thread: moderation line {_text(shown[0])[:60]!r} is not 本主题由 … 于 … <action>")
    titled = shown[0].css("span[title]::attr(title)").get()
    try:
        discuz_time(found.group("when"), titled, now)
    except ValueError as error:
        raise LayoutChanged(f"thread: moderation line: {error}") from error
    return CLOSING_ACTIONS.get(found.group("action"))


def _refusal(page: Selector) -> str | None:
    """The full-page notice Discuz shows instead of a thread (read permission, deleted thread)."""
    notice = page.css("div#messagetext p")
    return _text(notice[0]) if notice else None


def parse_thread(snapshot: Snapshot) -> ThreadPage:
    """The floors on one thread page. NotPublic for a refusal notice, LayoutChanged for an unknown layout.

    A reply marked (待审核) is left out: a logged-in author or moderator sees replies the public does not.
    """
    page = Selector(text=snapshot.text)
    postlist = page.css("div#postlist")
    if not postlist:
        refusal = _refusal(page)
        if refusal:
            raise NotPublic(f"thread: {refusal}")
        raise LayoutChanged("thread: div#postlist not found")
    type_link = page.css("h1.ts > a::text").get()
    current = page.css("div.pg strong::text").get()
    number = int(current) if current and current.isdigit() else 1
    views, replies = _counters(postlist[0], number)
    return ThreadPage(
        subject=_text(_one(page, "span#thread_subject", "thread")),
        type_label=clean(type_link).strip("[]") if type_link else None, views=views, replies=replies,
        page=number, posts=_posts(postlist[0], snapshot.fetched_at, number),
        next_url=_next_url(page, snapshot), closed=_closed(postlist[0], snapshot.fetched_at))


def _counters(postlist: Selector, number: int) -> tuple[int | None, int | None]:
    """查看 and 回复 on page 1 (td.pls div.hm); later pages show div#tath (the thread author) instead."""
    counters = postlist.css("td.pls div.hm span.xi1::text").getall()
    if len(counters) == 2:
        return _int(counters[0], "thread views"), _int(counters[1], "thread replies")
    if number > 1 and postlist.css("td.pls div#tath"):
        return None, None
    raise LayoutChanged(f"thread page {number}: {len(counters)} header counters (查看, 回复) and no div#tath")


def _posts(postlist: Selector, now: datetime, number: int) -> tuple[PostView, ...]:
    """The public floors in page order. Floors named by a site's own postnocustom words are numbered by
    position, which holds only for the first floors of page 1 (where such names are used)."""
    floors: list[PostView] = []
    for node in postlist.css("div[id^=post_]"):
        if not node.attrib["id"].removeprefix("post_").isdigit() or _pending(node) or _placeholder(node):
            continue
        post, by_position = read_post(node, now)
        if by_position:
            if number != 1 or any(floor.floor != index + 1 for index, floor in enumerate(floors)):
                raise LayoutChanged(f"post {post.pid}: floor label is neither a number nor a known name")
            post = dataclasses.replace(post, floor=len(floors) + 1)
        floors.append(post)
    return tuple(floors)
