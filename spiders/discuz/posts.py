"""One floor of a Discuz thread page (div#post_<pid>): floor label, author, time, body or the notice shown instead.

Every variant a forum's settings or template generation produce reads the same: the author link in the left
column (authoronleft = 1, the install default: td.pls div.authi a.xw1) or in the post header (authoronleft = 0:
td.plc div.authi a.xi2); floors as <em>N</em><sup>#</sup>, <em>N</em>楼 or names of the first floors
(postnocustom); the body in td.t_f (X3.x) or div.t_f (X5-era pages). Pure functions, no fetching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from parsel import Selector

from harvester.extract.errors import LayoutChanged
from harvester.extract.text import fragment_text
from spiders.discuz.dates import clean, discuz_time

# Names sites give their first floors through postnocustom (the common set; others are read by position).
FLOOR_NAMES = {"楼主": 1, "沙发": 2, "板凳": 3, "地板": 4, "地下室": 5}
STUCK = re.compile(r"来自\s*(\d+)")
EDIT_NOTE = re.compile(r'<i class="pstatus">.*?</i>', re.DOTALL)  # 本帖最后由 X 于 … 编辑
ANONYMOUS, DELETED = "匿名", "该用户已被删除"
# What a div.locked without a body says, by the words of Discuz's language pack (lang_template.php).
MODERATOR, BANNED, PAID, PASSWORD, AUTHOR_ONLY = "moderator", "banned", "paid", "password", "author_only"
LOCK_WORDS = ((PAID, ("购买主题", "才能浏览")), (MODERATOR, ("被管理员或版主屏蔽",)),
              (BANNED, ("作者被禁止或删除",)), (PASSWORD, ("本帖为密码帖",)),
              (AUTHOR_ONLY, ("此帖仅作者可见",)))  # a thread whose replies only its author may read


@dataclass(frozen=True, slots=True)
class PostView:
    """One floor. `text` is None when no body is shown; `locked` then says why (see LOCK_WORDS): a moderator
    hid it, its author is banned, it is sold for a price (a purchase notice is not a moderator's doing), it asks
    for a password, or the thread shows its replies to its author only."""

    pid: str
    floor: int
    author: str
    posted_at: datetime
    text: str | None
    locked: str | None = None


def text_of(node: Selector) -> str:
    return clean(" ".join(node.css("::text").getall()))


def one(node: Selector, css: str, what: str) -> Selector:
    found = node.css(css)
    if not found:
        raise LayoutChanged(f"{what}: {css!r} not found")
    return found[0]


def floor_number(label: Selector, what: str) -> int | None:
    """The number in <em>N</em> followed by any postno (#, 楼 …), a known floor name, or None for a name
    this site made up (read by position)."""
    number = label.css("em::text").get()
    if number is not None:
        if not clean(number).isdigit():
            raise LayoutChanged(f"{what}: floor {clean(number)!r} is not a number")
        return int(clean(number))
    name = text_of(label)
    stuck = STUCK.match(name)
    if stuck:  # a reply pinned above the others (置顶回复): 来自 N# with the settop icon
        return int(stuck.group(1))
    if name in FLOOR_NAMES:
        return FLOOR_NAMES[name]
    bare = name.rstrip("#楼").strip()
    if bare.isdigit():  # older pages: N# with no <em>
        return int(bare)
    if not name:
        raise LayoutChanged(f"{what}: empty floor label")
    return None


def author_of(post: Selector, what: str) -> str:
    """authoronleft = 1: only the left column links the author (a.xw1); = 0: only the post header (a.xi2).
    The hidden profile card (div#userinfo<pid>) is not read: it is there either way."""
    left = [text_of(a) for a in post.css("td.pls div.pi div.authi a.xw1")]
    header = [text_of(a) for a in post.css("td.plc div.authi a.xi2")]
    names = {name for name in left + header if name}
    if not names:
        names = _unlinked(post)
    if len(names) != 1:
        raise LayoutChanged(f"{what}: {len(names)} author names (td.pls div.authi a.xw1, td.plc div.authi a.xi2)")
    return names.pop()


def _unlinked(post: Selector) -> set[str]:
    """An author without a link: 匿名 (an anonymous post) or a deleted member (name, then 该用户已被删除)."""
    side = post.css("td.pls div.pi")
    said = text_of(side[0]) if side else ""
    if said.endswith(DELETED):
        return {said.removesuffix(DELETED).strip()} - {""}
    header = post.css("td.plc div.authi")
    return {ANONYMOUS} if ANONYMOUS in said or (header and text_of(header[0]).startswith(ANONYMOUS)) else set()


def posted_at(post: Selector, pid: str, now: datetime, what: str) -> datetime:
    stamp = one(post, f"em#authorposton{pid}", what)
    titled = stamp.css("span[title]")
    try:
        return discuz_time(text_of(stamp).removeprefix("发表于").strip(),
                           titled[0].attrib["title"] if titled else None, now)
    except ValueError as error:
        raise LayoutChanged(f"{what}: {error}") from error


def body_of(post: Selector, pid: str, what: str) -> tuple[str | None, str | None]:
    """(text, None) from td.t_f or div.t_f; (None, why) when a div.locked stands instead. A div.locked next to
    the body (a buyer's or moderator's view) leaves the body readable."""
    cell = post.css(f"td.t_f#postmessage_{pid}, div.t_f#postmessage_{pid}")
    if post.css("div.locked a.viewpay"):  # a paid thread's purchase notice, maybe after its free part
        return None, PAID
    if cell:
        return fragment_text(EDIT_NOTE.sub("", cell[0].get())), None
    notice = post.css("div.locked")
    if not notice:
        raise LayoutChanged(f"{what}: neither .t_f#postmessage_{pid} nor div.locked")
    said = text_of(notice[0])
    for why, words in LOCK_WORDS:
        if any(word in said for word in words):
            return None, why
    raise LayoutChanged(f"{what}: div.locked says {said[:40]!r}, a notice no known variant shows")


def read_post(post: Selector, now: datetime) -> tuple[PostView, bool]:
    """The floor, and whether its number came from a made-up floor name (the caller numbers it by position)."""
    pid = post.attrib["id"].removeprefix("post_")
    what = f"post {pid}"
    floor = floor_number(one(post, f"a#postnum{pid}", what), what)
    text, locked = body_of(post, pid, what)
    view = PostView(pid=pid, floor=floor or 0, author=author_of(post, what), posted_at=posted_at(post, pid, now, what),
                    text=text, locked=locked)
    return view, floor is None
