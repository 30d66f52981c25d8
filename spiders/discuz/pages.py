"""Page objects of Discuz! X: the board list (forumdisplay) and one thread page (viewthread). Pure, no fetching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.extract.text import fragment_text
from spiders.discuz.dates import clean, discuz_time

ROW_ID = re.compile(r"(stickthread|normalthread)_(\d+)$")
FLOOR_LABELS = {"楼主": 1, "沙发": 2, "板凳": 3, "地板": 4}  # Discuz's default `postno` setting
EDIT_NOTE = re.compile(r'<i class="pstatus">.*?</i>', re.DOTALL)  # 本帖最后由 X 于 … 编辑
PENDING = "待审核"  # footer mark of a reply awaiting approval, shown only to its author and to moderators
# The thread's latest moderation above the opening post: 本主题由 网络问政版主 于 2026-11-13 16:44 关闭 (inferred)
MOD_ACTION = re.compile(r"本主题由\s*(?P<who>.+?)\s*于\s*(?P<when>\d{4}-\d{1,2}-\d{1,2}(?:\s+[\d:]+)?)\s*"
                        r"(?P<action>\S+)\s*$")
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


@dataclass(frozen=True, slots=True)
class BoardPage:
    rows: tuple[ThreadRow, ...]
    next_url: str | None


@dataclass(frozen=True, slots=True)
class PostView:
    """One floor. `text` is None for a locked post (hidden by a moderator: no body is shown)."""

    pid: str
    floor: int
    author: str
    posted_at: datetime
    text: str | None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    subject: str
    type_label: str | None
    views: int
    replies: int
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
    readperm = head.css("span.xw1::text").get()
    return ThreadRow(
        tid=tid, title=_text(_one(head, "a.xst", what)), type_label=head.css("em > a::text").get(),
        author=_text(_one(by[0], "cite", what)), posted_on=_when(_one(by[0], "em", what), now, what),
        replies=_int(_text(_one(body, "td.num a.xi2", what)), what),
        views=_int(_text(_one(body, "td.num em", what)), what),
        last_post_at=_when(_one(by[1], "em", what), now, what), last_poster=_text(_one(by[1], "cite", what)),
        pinned=kind == "stickthread", readperm=int(readperm) if readperm and readperm.isdigit() else 0,
        closed="lock" in head.attrib.get("class", "").split())


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


def _floor(label: str, what: str) -> int:
    text = clean(label).rstrip("#")
    if text in FLOOR_LABELS:
        return FLOOR_LABELS[text]
    return _int(text, f"{what} floor")


def _body(post: Selector, pid: str, what: str) -> str | None:
    cell = post.css(f"td.t_f#postmessage_{pid}")
    if cell:
        return fragment_text(EDIT_NOTE.sub("", cell[0].get()))
    if post.css("div.locked"):
        return None
    raise LayoutChanged(f"{what}: neither td.t_f#postmessage_{pid} nor div.locked")


def _post(post: Selector, now: datetime) -> PostView:
    pid = post.attrib["id"].removeprefix("post_")
    what = f"post {pid}"
    author = _one(post, "td.plc div.authi a.xi2", what)
    posted = _text(_one(post, f"em#authorposton{pid}", what))
    titled = post.css(f"em#authorposton{pid} span[title]")
    try:
        posted_at = discuz_time(posted.removeprefix("发表于").strip(),
                                titled[0].attrib["title"] if titled else None, now)
    except ValueError as error:
        raise LayoutChanged(f"{what}: {error}") from error
    return PostView(pid=pid, floor=_floor(_text(_one(post, f"a#postnum{pid}", what)), what),
                    author=_text(author), posted_at=posted_at, text=_body(post, pid, what))


def _pending(post: Selector) -> bool:
    """A reply still in the moderation queue (invisible = -2): not public, so not part of the thread."""
    return any(PENDING in mark for mark in post.css("div.pob em span.xg1::text").getall())


def _closed(postlist: Selector) -> bool | None:
    """Closed or reopened, when the latest moderation shown on the opening post (div.modact) says so."""
    shown = postlist.css("div.pct div.modact")
    if not shown:
        return None
    found = MOD_ACTION.search(_text(shown[0]))
    return CLOSING_ACTIONS.get(found.group("action")) if found else None


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
    counters = postlist[0].css("td.pls div.hm span.xi1::text").getall()
    if len(counters) != 2:
        raise LayoutChanged(f"thread: {len(counters)} header counters, expected 2 (查看, 回复)")
    type_link = page.css("h1.ts > a::text").get()
    current = page.css("div.pg strong::text").get()
    return ThreadPage(
        subject=_text(_one(page, "span#thread_subject", "thread")),
        type_label=clean(type_link).strip("[]") if type_link else None,
        views=_int(counters[0], "thread views"), replies=_int(counters[1], "thread replies"),
        page=int(current) if current and current.isdigit() else 1,
        posts=tuple(_post(post, snapshot.fetched_at) for post in postlist[0].css("div[id^=post_]")
                    if post.attrib["id"].removeprefix("post_").isdigit() and not _pending(post)),
        next_url=_next_url(page, snapshot), closed=_closed(postlist[0]))
