"""徐州 12345 style mailbox (ASP.NET WebForms): a DataGrid list (`tr.HeadStyleOfDataGridItemStyle`, text in
`<font>`, links only in onclick) paged by postback with a signed `__VIEWSTATE` and event validation, and detail
pages whose values are `span#CaseDetail_lbl_*` elements."""

from __future__ import annotations

import math
from collections import Counter
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.aspnet import PostbackRefused, WebFormsState
from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

# The public list (公共服务 受理公示) as jamesfyp/WaiBaoSpider `WaiBaoSpider/spiders/xuzhou.py` requests it; its
# pager posts back `__EVENTTARGET=CaseGgfwAll1$Pager`, `__EVENTARGUMENT=<page>` and the pager's page box
# `CaseGgfwAll1$Pager_input` (the crawler sends the page it comes from). Detail pages are reached through
# `window.open("../…")` in the title's onclick: their path and query are not in the source (inferred).
LIST_PATH = "/xzbmweb/ywxxtemplate/ggfw_slgs.aspx"
DETAIL_PATH = "/xzbmweb/ywxx/CaseDetail.aspx"
DETAIL_FROM_LIST = "../ywxx/CaseDetail.aspx"
PAGER = "CaseGgfwAll1$Pager"
NUMERIC_BUTTONS = 5
ROW_CLASS = "HeadStyleOfDataGridItemStyle"  # every data row (seen); the header row's class is inferred
PROFILE = Profile(city="徐州市", districts=("鼓楼区", "云龙区", "泉山区", "铜山区", "贾汪区", "丰县", "沛县", "睢宁县",
                                          "新沂市", "邳州市"),
                  kinds=("咨询", "投诉", "建议", "求助", "举报"), kind_weights=(30, 35, 15, 15, 5), hotline=True)
COLUMNS = ("序号", "工单号", "标题", "类型", "办理部门", "办理状态")
# Detail values are labels of a `CaseDetail` user control (seen: the span ids); the label texts are inferred.
DETAIL_SPANS = (("title", "标题"), ("requestDate", "受理日期"), ("CaseType", "问题类型"), ("content", "诉求内容"),
                ("answerDate", "反馈时间"), ("AnswerContent", "回复意见"), ("result", "回访结果"), ("bcfk", "补充反馈"))
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
            '<link href="../css/style.css" rel="stylesheet" type="text/css" />\n</head>\n<body>\n'
            '<div class="top">徐州市12345政府公共服务平台 · 受理公示</div>\n'
            f"{content}\n"
            '<div class="bottom">徐州市12345政府公共服务中心 主办</div>\n</body>\n</html>\n')


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" id="{name}" value="{escape(value)}" />'


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


def _cell(text: str) -> str:
    # The DataGrid wraps every cell's text in <font> (seen: the crawler reads ./td[n]/font/text()).
    return f'<td align="center"><font color="#333333">{text}</font></td>'


class XuzhouSite(MailboxSite):
    """The 徐州 12345 受理公示 list: every letter listed (non-public ones without onclick), paged only by postback."""

    profile = PROFILE
    labels = {PENDING: "待受理", IN_PROGRESS: "办理中", REPLIED: "已答复", CLOSED: "已办结"}

    def __init__(self, name: str, seed: int, options: Options) -> None:
        super().__init__(name, seed, options)
        self.state = WebFormsState(f"{name}/{seed}", LIST_PATH)
        self.postbacks: Counter[str] = Counter()

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)

    def letter_no(self, letter: Letter) -> str:
        # 工单号: the crawler quoted it for Excel, so a long digit string (the exact format is inferred).
        return f"{letter.posted_at:%Y%m%d}{letter.day_no:05d}"

    def detail_path(self, letter: Letter) -> str:
        return f"{DETAIL_PATH}?caseid={letter.serial}"

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        return {"satisfaction": letter.satisfaction}

    def routes(self, app: web.Application) -> None:
        app.router.add_get(LIST_PATH, self.slow(self.list_page))
        app.router.add_post(LIST_PATH, self.slow(self.list_postback))
        app.router.add_get(DETAIL_PATH, self.slow(self.detail_page))

    def stats(self) -> dict[str, Any]:
        """Adds the list's postbacks: `paged`, `refused`, `fresh` (a POST without state: page 1 again)."""
        return {**super().stats(), "postbacks": dict(self.postbacks)}

    # -- list -----------------------------------------------------------------------------------

    def _row(self, position: int, letter: Letter) -> str:
        title = escape(letter.title)
        # The link is script only: window.open("../…") in onclick, no href (seen). A letter that is not public
        # keeps its row without it (inferred: the crawler only guards against a missing onclick).
        onclick = f' onclick=\'window.open("{DETAIL_FROM_LIST}?caseid={letter.serial}")\'' if letter.public else ""
        link = f'<a{onclick} style="cursor:hand" title="{title}">{title}</a>'
        number = f"\r\n\t\t\t\t{self.letter_no(letter)}\r\n\t\t\t"  # the crawler strips newlines and tabs
        cells = (str(position), number, link, escape(letter.kind), escape(letter.unit), self.status(letter))
        return f'<tr class="{ROW_CLASS}">' + "".join(_cell(cell) for cell in cells) + "</tr>"

    def _pager(self, total: int, page: int, pages: int) -> str:
        parts = [f'<span class="total">共 {total} 条记录 第 {page}/{pages} 页</span>']
        for text, argument in page_links(page, pages):
            if argument is None:
                parts.append(f'<span class="cpb">{text}</span>' if text.isdigit() else f'<a disabled="disabled">{text}</a>')
            else:
                parts.append(_postback(argument, text))
        # AspNetPager's page box holds the current page (the crawler posts the page it comes from in it).
        parts.append(f'<input name="{PAGER}_input" type="text" id="CaseGgfwAll1_Pager_input" value="{page}" '
                     'style="width:30px;" /><input type="submit" name="CaseGgfwAll1$Pager_btn" value="go" />')
        return f'<div id="CaseGgfwAll1_Pager" class="paginator">{" ".join(parts)}</div>'

    def render_list(self, page: int) -> web.Response:
        letters = self.listed()
        size = self.options.per_page
        pages = max(1, math.ceil(len(letters) / size))
        page = min(page, pages)
        allowed = [argument for _, argument in page_links(page, pages) if argument is not None]
        viewstate, validation = self.state.issue(page, allowed)
        head = ('<tr class="HeadStyleOfDataGridHeaderStyle">' +
                "".join(f'<td align="center"><font color="#ffffff"><b>{label}</b></font></td>' for label in COLUMNS)
                + "</tr>")
        shown = letters[(page - 1) * size:page * size]
        rows = "\n".join(self._row((page - 1) * size + n, letter) for n, letter in enumerate(shown, start=1))
        content = (f'<form name="form1" method="post" action="ggfw_slgs.aspx" id="form1">\n'
                   f'<div>\n{_hidden("__EVENTTARGET", "")}\n{_hidden("__EVENTARGUMENT", "")}\n'
                   f'{_hidden("__VIEWSTATE", viewstate)}\n</div>\n{DO_POSTBACK}\n'
                   f'<div>\n{_hidden("__VIEWSTATEGENERATOR", self.state.generator)}\n'
                   f'{_hidden("__EVENTVALIDATION", validation)}\n</div>\n'
                   '<table cellspacing="0" cellpadding="3" rules="all" border="1" id="CaseGgfwAll1_DataGrid1" '
                   f'style="width:100%;border-collapse:collapse;">\n{head}\n{rows}\n</table>\n'
                   f"{self._pager(len(letters), page, pages)}\n</form>")
        return self.html(_layout(self.options.charset, "受理公示", content))

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

    def _values(self, letter: Letter) -> dict[str, str]:
        # Label controls render their text as one text node: the letter's lines stay literal line breaks (the
        # crawler reads text()[0] of the content span); 补充反馈 may hold markup (it reads //text() there).
        answered = letter.replied_at is not None
        return {"title": escape(letter.title), "requestDate": f"{letter.posted_at:%Y/%m/%d %H:%M:%S}",
                "CaseType": escape(letter.kind), "content": escape(letter.body).replace("\n", "\r\n"),
                "answerDate": f"{letter.replied_at:%Y/%m/%d %H:%M:%S}" if answered else "",
                "AnswerContent": escape(letter.reply_text).replace("\n", "\r\n"),
                "result": escape(letter.satisfaction), "bcfk": ""}

    def _table(self, letter: Letter) -> str:
        values = self._values(letter)
        rows = (f'<tr><td class="tdLabel">{label}：</td><td class="tdValue"><span id="CaseDetail_lbl_{key}">'
                f"{values[key]}</span></td></tr>" for key, label in DETAIL_SPANS)
        return '<table class="CaseDetail" cellspacing="1" cellpadding="4">\n' + "\n".join(rows) + "\n</table>"

    async def detail_page(self, request: web.Request) -> web.Response:
        key = int_param(request.query.get("caseid"), 0)
        letter = self.find(str(key)) if key else None
        charset = self.options.charset
        # The page answers 200 with a label saying the letter cannot be shown (unknown or not public; inferred).
        if letter is None or not letter.public:
            notice = '<div class="detail"><span id="CaseDetail_lbl_msg">该工单不存在或未公开。</span></div>'
            return self.html(_layout(charset, "工单详情", notice))
        content = f'<form id="form1">\n<div class="detail">\n{self._table(letter)}\n</div>\n</form>'
        return self.html(_layout(charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> XuzhouSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return XuzhouSite(name, int(seed), Options.parse(name, options, per_page=10))
