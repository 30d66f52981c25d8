"""大连 style mailbox (.jspx): `ul.mt10 > li` list pages `xjlb_{n}.jspx`, a `table/tbody` detail keyed by gdId;
letter numbers that two letters may share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

BASE = "/fgw/gzjl"
PROFILE = Profile(city="大连市", districts=("中山区", "西岗区", "沙河口区", "甘井子区", "旅顺口区", "金州区"),
                  kinds=("咨询", "投诉", "求助", "建议", "举报", "表扬"), kind_weights=(25, 30, 15, 20, 5, 5),
                  hotline=True)
# gdIds look like Hibernate uuid.hex values: ff808081 (address) + the server's start time (8 hex) + the record's
# creation time in ms (12 hex) + a counter (4 hex), e.g. ff808081679c56900167ee8e3d4c24e7 (seen in 3,773 real
# links; the list follows them in descending order, 0 inversions in 3,772 neighbours). The start part changes
# when a server restarts; a letter made by a server started later sorts above every letter of the others.
GDID_PREFIX = "ff808081679c5690"
LATER_SERVER = "ff80808167a1d2c0"


@dataclass(frozen=True)
class DalianOptions(Options):
    """`shared_every`: about every n-th letter gets the number of the letter before it when both were posted
    the same day (the real site did this twice in 3,773 letters; 0 never). `pinned_every`: every n-th letter
    is made by a server started later, so it stays above all newer letters of the main one (0 never)."""

    shared_every: int = 20
    pinned_every: int = 0
    answered_only: int = 0  # 1: the list shows answered letters only, at their gdId place (what the data suggests)


def _layout(charset: str, title: str, content: str) -> str:
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)}-大连市政务服务网</title>\n"
            '<link rel="stylesheet" href="/fgw/r/cms/www/default/css/gzjl.css">\n</head>\n<body>\n'
            '<div class="top"><h1>政民互动 · 公众监督</h1></div>\n'
            f'<div class="main">\n{content}\n</div>\n<div class="foot">大连市人民政府办公室主办</div>\n</body>\n</html>\n')


def _lines(text: str) -> str:
    """Dalian keeps the letter's line breaks as `<br>` inside one cell."""
    return "<br>".join(escape(line) for line in text.split("\n") if line)


class DalianSite(MailboxSite):
    """The 大连 工作交流 mailbox: every letter listed, non-public ones without links."""

    profile = PROFILE
    # Dalian shows no separate 已回复: a published answer means the case is 已办结.
    labels = {PENDING: "待处理", IN_PROGRESS: "办理中", REPLIED: "已办结", CLOSED: "已办结"}

    options: DalianOptions

    def __init__(self, name: str, seed: int, options: DalianOptions) -> None:
        super().__init__(name, seed, options)
        self._numbers: dict[int, str] = {}
        self._pinned: set[int] = set()

    def site_id(self, letter: Letter) -> str:
        if len(self._numbers) != len(self.world.letters):
            self._number_all()
        millis = int(letter.posted_at.timestamp()) * 1000 + int(letter.token[:3], 16) % 1000
        prefix = LATER_SERVER if letter.serial in self._pinned else GDID_PREFIX
        return f"{prefix}{millis:012x}{letter.token[-4:]}"

    def listed(self) -> list[Letter]:
        """With `answered_only` only answered letters, as every one of the 3,773 real rows read 已办结: a letter
        then appears once answered, at its old place in the gdId order (below newer answered ones)."""
        letters = super().listed()
        return [x for x in letters if x.replied_at is not None] if self.options.answered_only else letters

    def ordered(self, letters: list[Letter]) -> list[Letter]:
        """By gdId, descending, like the real list: a letter of the later server above all of the main one's
        (row 170 of the 2019 list, G20181106-0026, sits above letters up to 2018-11-21)."""
        return sorted(letters, key=self.site_id, reverse=True)

    def letter_no(self, letter: Letter) -> str:
        """G + posting date + daily sequence; a letter posted the same day as the one before may get that
        letter's number (G20180321-0036 and G20170905-0018 each named two different letters, posted 3 and 9
        seconds apart: a race in the numbering)."""
        if len(self._numbers) != len(self.world.letters):
            self._number_all()
        return self._numbers[letter.serial]

    def _number_all(self) -> None:
        """Numbers in posting order; each depends only on the letters before it, and letters only join at the
        end, so a number never changes."""
        every, since, previous = self.options.shared_every, 0, None
        pinned = self.options.pinned_every
        for position, letter in enumerate(self.world.letters, start=1):
            since += 1
            if pinned and position % pinned == 0:
                self._pinned.add(letter.serial)
            same_day = previous is not None and previous.posted_at.date() == letter.posted_at.date()
            if every and since >= every and same_day and previous is not None:
                self._numbers[letter.serial], since = self._numbers[previous.serial], 0
            else:
                self._numbers[letter.serial] = f"G{letter.posted_at:%Y%m%d}-{letter.day_no:04d}"
            previous = letter

    def detail_path(self, letter: Letter) -> str:
        return f"{BASE}/detail.jspx?gdId={self.site_id(letter)}"

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        if len(self._numbers) != len(self.world.letters):
            self._number_all()
        listed = letter.replied_at is not None or not self.options.answered_only
        return {"pinned": letter.serial in self._pinned, "listed": listed}

    def routes(self, app: web.Application) -> None:
        app.router.add_get(BASE + "/xjlb.jspx", self.slow(self.list_page))
        app.router.add_get(BASE + r"/xjlb_{page:\d+}.jspx", self.slow(self.list_page))
        app.router.add_get(BASE + "/detail.jspx", self.slow(self.detail_page))

    # -- list -----------------------------------------------------------------------------------

    def _row(self, letter: Letter) -> str:
        # All five anchors of a public row link to the detail; a non-public row keeps anchors without href.
        href = f' href="{self.detail_path(letter)}" target="_blank"' if letter.public else ""
        return (f'<li><a{href} class="bh">{self.letter_no(letter)}</a>'
                f'<a{href} title="{escape(letter.title)}"><span>{escape(letter.title)}</span></a>'
                f"<a{href}>{escape(letter.kind)}</a><a{href}>{self.status(letter)}</a>"
                f"<a{href}>{escape(letter.unit)}</a></li>")

    @staticmethod
    def _pager(total: int, page: int, pages: int) -> str:
        parts = [f'<span class="total">共{total}条</span>', '<a href="xjlb_1.jspx">首页</a>']
        if page > 1:
            parts.append(f'<a href="xjlb_{page - 1}.jspx">上一页</a>')
        if page < pages:
            parts.append(f'<a href="xjlb_{page + 1}.jspx">下一页</a>')
        parts += [f'<a href="xjlb_{pages}.jspx">尾页</a>', f'<span class="cur">{page}/{pages}</span>']
        return '<div class="page">' + " ".join(parts) + "</div>"

    async def list_page(self, request: web.Request) -> web.Response:
        page = int_param(request.match_info.get("page"), 1)
        if not page:
            return self.html(_layout(self.options.charset, "页面不存在", '<div class="xj_tip">页面不存在</div>'), 404)
        letters = self.listed()
        size = self.options.per_page
        pages = max(1, math.ceil(len(letters) / size))
        rows = "\n".join(self._row(letter) for letter in letters[(page - 1) * size:page * size])
        head = "".join(f"<span>{label}</span>" for label in ("信件编号", "信件标题", "类型", "状态", "办理单位"))
        content = (f'<div class="list_tit">{head}</div>\n<ul class="mt10">\n{rows}\n</ul>\n'
                   f"{self._pager(len(letters), page, pages)}")
        return self.html(_layout(self.options.charset, "信件列表", content))

    # -- detail ---------------------------------------------------------------------------------

    def _table(self, letter: Letter) -> str:
        rows = [
            f"<th>受理编号</th><td>{self.letter_no(letter)}</td><th>信件类型</th><td>{escape(letter.kind)}</td>",
            '<th colspan="4">反映内容</th>',
            f'<td colspan="4" class="nr">{_lines(letter.body)}</td>',
            '<th colspan="4">答复内容</th>',
            f'<td colspan="4" class="nr">{_lines(letter.reply_text)}</td>',
            f"<th>反映时间</th><td>{seconds(letter.posted_at)}</td><th>反馈时间</th><td>{seconds(letter.replied_at)}</td>",
            f"<th>办理单位</th><td>{escape(letter.unit)}</td><th>办理状态</th><td>{self.status(letter)}</td>",
        ]
        body = "\n".join(f"<tr>{row}</tr>" for row in rows)
        return f'<table class="xj_table" width="100%">\n<tbody>\n{body}\n</tbody>\n</table>'

    async def detail_page(self, request: web.Request) -> web.Response:
        letter = self.find(request.query.get("gdId", ""))
        charset = self.options.charset
        # The jspx app answers 200 with a notice for unknown or non-public letters.
        if letter is None:
            return self.html(_layout(charset, "提示", '<div class="xj_tip">该信件不存在或已删除。</div>'))
        if not letter.public:
            return self.html(_layout(charset, "提示", '<div class="xj_tip">该信件未公开，不能查看。</div>'))
        content = f'<div class="xj_detail">\n<h2 class="xj_title">{escape(letter.title)}</h2>\n{self._table(letter)}\n</div>'
        return self.html(_layout(charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> DalianSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset,
    shared_every, pinned_every, answered_only)."""
    parsed = DalianOptions.parse(name, options, per_page=15)
    assert isinstance(parsed, DalianOptions)
    return DalianSite(name, int(seed), parsed)
