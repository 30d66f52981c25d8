"""徐州 12345 style mailbox (ASP.NET WebForms): a GridView list paged by postback with a signed `__VIEWSTATE`
and event validation, and `detail.aspx?id=` label tables."""

from __future__ import annotations

import math
from collections import Counter
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.aspnet import PostbackRefused, WebFormsState
from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

BASE = "/Case"
LIST_PATH = BASE + "/CaseGgfwAll.aspx"
DETAIL_PATH = BASE + "/detail.aspx"
# The list is a user control (CaseGgfwAll1) holding a GridView and an AspNetPager-style pager whose links post
# back `__EVENTTARGET=CaseGgfwAll1$Pager`, `__EVENTARGUMENT=<page>` (PLATFORMS.md §2.2).
PAGER = "CaseGgfwAll1$Pager"
NUMERIC_BUTTONS = 5
PROFILE = Profile(city="徐州市", districts=("鼓楼区", "云龙区", "泉山区", "铜山区", "贾汪区", "丰县", "沛县", "睢宁县",
                                          "新沂市", "邳州市"),
                  kinds=("咨询", "投诉", "建议", "求助", "举报"), kind_weights=(30, 35, 15, 15, 5), hotline=True)
COLUMNS = ("编号", "标题", "类别", "来信时间", "办理状态")
DO_POSTBACK = """<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['form1'];
if (!theForm) { theForm = document.form1; }
function __doPostBack(eventTarget, eventArgument) {
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }
}
//]]>
</script>"""


def _layout(charset: str, title: str, content: str) -> str:
    return ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n{meta_tag(charset)}\n'
            f"<title>{escape(title)} - 徐州市12345政府公共服务平台</title>\n"
            f'<link href="{BASE}/css/style.css" rel="stylesheet" type="text/css" />\n</head>\n<body>\n'
            '<div class="top">徐州市12345政府公共服务平台 · 公开信件</div>\n'
            f"{content}\n"
            '<div class="bottom">徐州市12345政府公共服务中心 主办</div>\n</body>\n</html>\n')


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" id="{name}" value="{escape(value)}" />'


def _lines(text: str) -> str:
    return "<br />".join(escape(line) for line in text.split("\n") if line)


def _postback(argument: str, text: str) -> str:
    return f"<a href=\"javascript:__doPostBack('{PAGER}','{argument}')\">{text}</a>"


def page_links(page: int, pages: int) -> list[tuple[str, str | None]]:
    """The pager as (text, argument or None for a disabled link): 首页, 上一页, a window of numbers, 下一页, 尾页."""
    start = max(1, min(page - NUMERIC_BUTTONS // 2, pages - NUMERIC_BUTTONS + 1))
    numbers = range(start, min(pages, start + NUMERIC_BUTTONS - 1) + 1)
    links: list[tuple[str, str | None]] = [("首页", "1" if page > 1 else None),
                                           ("上一页", str(page - 1) if page > 1 else None)]
    links += [(str(n), str(n) if n != page else None) for n in numbers]
    links += [("下一页", str(page + 1) if page < pages else None), ("尾页", str(pages) if page < pages else None)]
    return links


class XuzhouSite(MailboxSite):
    """The 徐州 12345 公开信件 list: every letter listed (non-public ones without a link), paged only by postback."""

    profile = PROFILE
    labels = {PENDING: "待受理", IN_PROGRESS: "办理中", REPLIED: "已答复", CLOSED: "已办结"}

    def __init__(self, name: str, seed: int, options: Options) -> None:
        super().__init__(name, seed, options)
        self.state = WebFormsState(f"{name}/{seed}", LIST_PATH)
        self.postbacks: Counter[str] = Counter()

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)

    def letter_no(self, letter: Letter) -> str:
        return f"XZ{letter.posted_at:%Y%m%d}{letter.day_no:04d}"

    def detail_path(self, letter: Letter) -> str:
        return f"{DETAIL_PATH}?id={letter.serial}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(LIST_PATH, self.slow(self.list_page))
        app.router.add_post(LIST_PATH, self.slow(self.list_postback))
        app.router.add_get(DETAIL_PATH, self.slow(self.detail_page))

    def stats(self) -> dict[str, Any]:
        """Adds the list's postbacks: `paged`, `refused`, `fresh` (a POST without state: page 1 again)."""
        return {**super().stats(), "postbacks": dict(self.postbacks)}

    # -- list -----------------------------------------------------------------------------------

    def _row(self, letter: Letter) -> str:
        title = escape(letter.title)
        if letter.public:
            title = f'<a href="detail.aspx?id={letter.serial}" target="_blank" title="{title}">{title}</a>'
        else:
            title = f'{title}<span class="gray">（不公开）</span>'
        cells = (self.letter_no(letter), title, escape(letter.kind), f"{letter.posted_at:%Y-%m-%d}",
                 self.status(letter))
        return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"

    def _pager(self, total: int, page: int, pages: int) -> str:
        parts = [f'<span class="total">共 {total} 条记录 第 {page}/{pages} 页</span>']
        for text, argument in page_links(page, pages):
            if argument is None:
                parts.append(f'<span class="cpb">{text}</span>' if text.isdigit() else f'<a disabled="disabled">{text}</a>')
            else:
                parts.append(_postback(argument, text))
        return f'<div id="CaseGgfwAll1_Pager" class="paginator">{" ".join(parts)}</div>'

    def render_list(self, page: int) -> web.Response:
        letters = self.listed()
        size = self.options.per_page
        pages = max(1, math.ceil(len(letters) / size))
        page = min(page, pages)
        allowed = [argument for _, argument in page_links(page, pages) if argument is not None]
        viewstate, validation = self.state.issue(page, allowed)
        head = '<tr class="header">' + "".join(f'<th scope="col">{label}</th>' for label in COLUMNS) + "</tr>"
        rows = "\n".join(self._row(letter) for letter in letters[(page - 1) * size:page * size])
        content = (f'<form name="form1" method="post" action="./CaseGgfwAll.aspx" id="form1">\n'
                   f'<div class="aspNetHidden">\n{_hidden("__EVENTTARGET", "")}\n{_hidden("__EVENTARGUMENT", "")}\n'
                   f'{_hidden("__VIEWSTATE", viewstate)}\n</div>\n{DO_POSTBACK}\n'
                   f'<div class="aspNetHidden">\n{_hidden("__VIEWSTATEGENERATOR", self.state.generator)}\n'
                   f'{_hidden("__EVENTVALIDATION", validation)}\n</div>\n'
                   '<div class="list">\n<table class="GridView" cellspacing="0" rules="all" border="1" '
                   f'id="CaseGgfwAll1_GridView1" style="border-collapse:collapse;">\n{head}\n{rows}\n</table>\n'
                   f"{self._pager(len(letters), page, pages)}\n</div>\n</form>")
        return self.html(_layout(self.options.charset, "公开信件", content))

    async def list_page(self, _: web.Request) -> web.Response:
        return self.render_list(1)

    async def list_postback(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields = {key: str(value) for key, value in form.items()}
        if not fields.get("__VIEWSTATE"):
            self.postbacks["fresh"] += 1  # not a postback to ASP.NET: the page as first served
            return self.render_list(1)
        try:
            page = self.state.accept(fields, PAGER)
        except PostbackRefused as refusal:
            self.postbacks["refused"] += 1
            return self.html(refusal.page(), 500)
        self.postbacks["paged"] += 1
        return self.render_list(page)

    # -- detail ---------------------------------------------------------------------------------

    def _table(self, letter: Letter) -> str:
        replied = f"{letter.replied_at:%Y/%m/%d %H:%M:%S}" if letter.replied_at else ""
        cells = [
            ("信件编号", self.letter_no(letter), "来信时间", f"{letter.posted_at:%Y/%m/%d %H:%M:%S}"),
            ("来信人", escape(letter.author), "信件类别", escape(letter.kind)),
            ("标题", escape(letter.title)),
            ("来信内容", _lines(letter.body)),
            ("办理状态", self.status(letter), "承办单位", escape(letter.unit)),
            ("回复时间", replied),
            ("回复内容", _lines(letter.reply_text)),
        ]
        rows = []
        for row in cells:
            pairs = [row[i:i + 2] for i in range(0, len(row), 2)]
            span = ' colspan="3"' if len(pairs) == 1 else ""
            rows.append("<tr>" + "".join(f'<td class="lbl">{label}：</td><td{span}>{value}</td>'
                                         for label, value in pairs) + "</tr>")
        return '<table class="tbDetail" id="tbDetail" cellspacing="0">\n' + "\n".join(rows) + "\n</table>"

    async def detail_page(self, request: web.Request) -> web.Response:
        key = int_param(request.query.get("id"), 0)
        letter = self.find(str(key)) if key else None
        charset = self.options.charset
        # The page answers 200 with a label saying the letter cannot be shown (unknown or not public).
        if letter is None or not letter.public:
            notice = '<div class="detail"><span id="lblMsg">该信件不存在或未公开。</span></div>'
            return self.html(_layout(charset, "信件详情", notice))
        content = f'<div class="detail">\n<h2 id="lblTitle">{escape(letter.title)}</h2>\n{self._table(letter)}\n</div>'
        return self.html(_layout(charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> XuzhouSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return XuzhouSite(name, int(seed), Options.parse(name, options, per_page=10))
