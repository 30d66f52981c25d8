"""TRS WCM style 信件公开 column: static `index.html`, `index_1.html` … pages whose pager is drawn by the script
call `createPageHTML(<pages>, <current>, "index", "html")`, and `./<yyyymm>/t<yyyymmdd>_<id>.html` articles."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, meta_tag, paragraphs, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

# PLATFORMS.md §2.3 gives the index.html / index_N.html paging, the createPageHTML(<total>, <current>, "index",
# "html") call and article names like ./202201/t20220107_685106.shtml (their TRS attribution inferred there);
# the list markup, the detail layout (label table, div.TRS_Editor), the letter number and the status labels
# here are inferred.
COLUMN = "3187"
SITE_NAME = "云州市人民政府"
TITLE_CHARS = 24  # TRS lists cut the title (<TRS_DOCUMENT FIELD="DOCTITLE" NUM="24">); the full one is in @title
# A fictional city: PLATFORMS.md §2.3 names no city whose mailbox runs on TRS.
PROFILE = Profile(city="云州市", districts=("云中区", "云西区", "北湖区", "南山区", "江口县", "临河县"),
                  kinds=("咨询", "投诉", "建议", "求助"), kind_weights=(35, 30, 20, 15))
# The pager function TRS templates carry inline; only the call below it has the numbers. The links it writes
# exist only once a browser runs it (the classic TRS snippet; its wording here is inferred).
PAGER_FUNCTION = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
    if(_nPageCount == null || _nPageCount <= 1){ return; }
    var nCurrIndex = _nCurrIndex || 0;
    var first = _sPageName + "." + _sPageExt;
    if(nCurrIndex == 0){ document.write("首页&nbsp;上一页&nbsp;"); }
    else {
        var prev = nCurrIndex == 1 ? first : _sPageName + "_" + (nCurrIndex - 1) + "." + _sPageExt;
        document.write("<a href=\\"" + first + "\\">首页</a>&nbsp;<a href=\\"" + prev + "\\">上一页</a>&nbsp;");
    }
    if(nCurrIndex == _nPageCount - 1){ document.write("下一页&nbsp;尾页"); }
    else {
        document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\\">下一页</a>&nbsp;");
        document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "\\">尾页</a>");
    }
    document.write("&nbsp;共" + _nPageCount + "页&nbsp;当前第" + (nCurrIndex + 1) + "页");
}
</script>"""
# The TRS editor wraps every rich-text field in div.TRS_Editor with its own style block (inferred from TRS output).
EDITOR_STYLE = ('<style type="text/css">.TRS_Editor P{margin-top:0px;margin-bottom:12px;line-height:1.8;'
                "font-family:宋体;font-size:12pt;}</style>")


def _layout(charset: str, title: str, content: str, metas: str = "") -> str:
    return ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n{meta_tag(charset)}\n'
            f'<meta name="SiteName" content="{SITE_NAME}">\n{metas}'
            f"<title>{escape(title)}_{SITE_NAME}</title>\n"
            '<link href="/images/style.css" rel="stylesheet" type="text/css" />\n</head>\n<body>\n'
            f'<div class="header">{SITE_NAME} 政民互动</div>\n{content}\n'
            f'<div class="footer">主办：{SITE_NAME}办公室</div>\n</body>\n</html>\n')


def _editor(text: str) -> str:
    return f'<div class="TRS_Editor">{EDITOR_STYLE}{paragraphs(text)}</div>'


def pager(pages: int, current: int) -> str:
    """The pager as published: only the script call; `current` counts from 0 like TRS does."""
    return (f'<div class="page">\n{PAGER_FUNCTION}\n<script type="text/javascript">'
            f'createPageHTML({pages}, {current}, "index", "html");</script>\n</div>')


class TrsSite(MailboxSite):
    """A column of public letters published as static TRS pages; non-public letters are never published."""

    profile = PROFILE
    labels = {PENDING: "待受理", IN_PROGRESS: "正在办理", REPLIED: "已答复", CLOSED: "已办结"}
    public_only = True

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)  # the TRS document id (DOCID)

    def letter_no(self, letter: Letter) -> str:
        return f"{letter.posted_at:%Y%m%d}{letter.day_no:04d}"

    def article_name(self, letter: Letter) -> str:
        """The article as the list links it, relative to the column: `./202611/t20261119_610123.html`."""
        day = letter.posted_at
        return f"./{day:%Y%m}/t{day:%Y%m%d}_{letter.serial}.html"

    def detail_path(self, letter: Letter) -> str:
        return f"/col/col{COLUMN}/" + self.article_name(letter).removeprefix("./")

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        """The satisfaction grade a closed letter shows ("" when the citizen gave none)."""
        return {"satisfaction": letter.satisfaction}

    def routes(self, app: web.Application) -> None:
        column = r"/col/col{column:\d+}/"
        app.router.add_get(column + "index.html", self.slow(self.list_page))
        app.router.add_get(column + r"index_{n:\d+}.html", self.slow(self.list_page))
        app.router.add_get(column + r"{month:\d{6}}/t{day:\d{8}}_{id:\d+}.html", self.slow(self.article))

    def _not_found(self) -> web.Response:
        """What the web server in front of the static pages answers for a file that was never published."""
        return self.html(_layout(self.options.charset, "404", '<div class="error">404 Not Found 您访问的页面不存在</div>'),
                         404)

    # -- list -----------------------------------------------------------------------------------

    def _item(self, letter: Letter) -> str:
        shown = letter.title if len(letter.title) <= TITLE_CHARS else letter.title[:TITLE_CHARS] + "..."
        return (f'<li><span class="zt">{self.status(letter)}</span>'
                f'<a href="{self.article_name(letter)}" target="_blank" title="{escape(letter.title)}">'
                f'{escape(shown)}</a><span class="date">{letter.posted_at:%Y-%m-%d}</span></li>')

    def pages(self) -> int:
        return max(1, math.ceil(len(self.listed()) / self.options.per_page))

    async def list_page(self, request: web.Request) -> web.Response:
        """index.html is page 1, index_<n>.html page n+1; pages past the end were never generated."""
        number = request.match_info.get("n")
        current = int(number) if number is not None else 0
        pages = self.pages()
        if request.match_info["column"] != COLUMN or number == "0" or current >= pages:
            return self._not_found()
        size = self.options.per_page
        items = "\n".join(self._item(letter) for letter in self.listed()[current * size:(current + 1) * size])
        content = (f'<div class="main">\n<div class="position">当前位置：首页 &gt; 政民互动 &gt; 信件公开</div>\n'
                   f'<ul class="xjgk_list">\n{items}\n</ul>\n{pager(pages, current)}\n</div>')
        metas = '<meta name="ColumnName" content="信件公开">\n<meta name="ColumnType" content="信件公开">\n'
        return self.html(_layout(self.options.charset, "信件公开", content, metas))

    # -- article --------------------------------------------------------------------------------

    def _table(self, letter: Letter) -> str:
        cells: list[tuple[str, ...]] = [("信件编号", self.letter_no(letter), "信件类型", escape(letter.kind)),
                                        ("来信人", escape(letter.author), "来信时间", seconds(letter.posted_at)),
                                        ("办理单位", escape(letter.unit), "办理状态", self.status(letter))]
        if letter.stage == CLOSED:
            cells.append(("回复时间", seconds(letter.replied_at), "满意度", letter.satisfaction or "未评价"))
        elif letter.replied_at is not None:
            cells.append(("回复时间", seconds(letter.replied_at)))
        rows = []
        for row in cells:
            pairs = [row[i:i + 2] for i in range(0, len(row), 2)]
            span = ' colspan="3"' if len(pairs) == 1 else ""
            rows.append("<tr>" + "".join(f"<th>{label}</th><td{span}>{value}</td>" for label, value in pairs)
                        + "</tr>")
        return ('<table class="xj_table" width="100%" border="0" cellspacing="0" cellpadding="0">\n'
                + "\n".join(rows) + "\n</table>")

    async def article(self, request: web.Request) -> web.Response:
        letter = self.find(request.match_info["id"])
        if letter is None or not letter.public or request.path != self.detail_path(letter):
            return self._not_found()
        reply = ""
        if letter.replied_at is not None:
            reply = f'\n<div class="xj_reply">\n<h3>回复内容</h3>\n{_editor(letter.reply_text)}\n</div>'
        content = (f'<div class="main">\n<div class="xj_detail">\n<h1 class="xj_title">{escape(letter.title)}</h1>\n'
                   f"{self._table(letter)}\n"
                   f'<div class="xj_letter">\n<h3>来信内容</h3>\n{_editor(letter.body)}\n</div>{reply}\n</div>\n</div>')
        metas = (f'<meta name="ArticleTitle" content="{escape(letter.title)}">\n'
                 f'<meta name="PubDate" content="{letter.posted_at:%Y-%m-%d %H:%M}">\n'
                 '<meta name="ContentSource" content="信件公开">\n')
        return self.html(_layout(self.options.charset, letter.title, content, metas))


def create(name: str, seed: int, **options: Any) -> TrsSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return TrsSite(name, int(seed), Options.parse(name, options, per_page=15, charset="gb2312"))
