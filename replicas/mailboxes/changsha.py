"""长沙 style mailbox: offset-paged `table.table1` list (12 a page) and a two-block letter/reply detail."""

from __future__ import annotations

import math
from html import escape
from typing import Any
from urllib.parse import quote

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag, paragraphs, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

BASE = "/webapp/cs/email"
PROFILE = Profile(city="长沙市", districts=("芙蓉区", "天心区", "岳麓区", "开福区", "雨花区", "望城区"),
                  kinds=("咨询", "投诉", "建议", "求助"), kind_weights=(30, 35, 20, 15))
COLUMNS = ("序号", "主题", "信件类别", "处理时间", "处理部门", "来信人")


def _layout(charset: str, title: str, content: str) -> str:
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)}_长沙市网络问政平台</title>\n"
            f'<link rel="stylesheet" href="{BASE}/css/email.css">\n</head>\n<body>\n'
            '<div class="header"><div class="logo">长沙市网络问政 · 市长信箱</div></div>\n'
            f'<div class="content">\n{content}\n</div>\n<div class="footer">长沙市人民政府办公厅</div>\n</body>\n</html>\n')


def list_href(offset: int) -> str:
    """Page links as the site writes them (the `desc=false` is cosmetic: the list is newest first anyway)."""
    return f"index.jsp?cflag=1&amp;emailList.offset={offset}&amp;emailList.desc=false"


class ChangshaSite(MailboxSite):
    """The 长沙 网络问政 mailbox: every letter in the table, non-public titles without links."""

    profile = PROFILE
    labels = {PENDING: "待处理", IN_PROGRESS: "处理中", REPLIED: "已回复", CLOSED: "已办结"}

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)

    def detail_path(self, letter: Letter) -> str:
        return f"{BASE}/detail.jsp?id={letter.serial}"

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        return {"views": letter.views, "satisfaction": letter.satisfaction}

    def routes(self, app: web.Application) -> None:
        app.router.add_get(BASE + "/index.jsp", self.slow(self.list_page))
        app.router.add_get(BASE + "/detail.jsp", self.slow(self.detail_page))

    # -- list -----------------------------------------------------------------------------------

    @staticmethod
    def _row(number: int, letter: Letter) -> str:
        title = escape(letter.title)
        if letter.public:
            title = f'<a href="detail.jsp?id={letter.serial}" target="_blank" title="{title}">{title}</a>'
        unit = f'<a href="javascript:void(0);">{escape(letter.unit)}</a>' if letter.unit else ""
        replied = f"{letter.replied_at:%Y-%m-%d}" if letter.replied_at else ""
        cells = (str(number), title, escape(letter.kind), replied, unit, escape(letter.author))
        return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"

    def _footer(self, total: int, offset: int) -> str:
        size = self.options.per_page
        pages = max(1, math.ceil(total / size))
        last = (pages - 1) * size
        parts = [f"共{total}封 第{offset // size + 1}/{pages}页", f'<a href="{list_href(0)}">首页</a>']
        if offset > 0:
            parts.append(f'<a href="{list_href(max(0, offset - size))}">上一页</a>')
        if offset + size < total:
            parts.append(f'<a href="{list_href(offset + size)}">下一页</a>')
        parts.append(f'<a href="{list_href(last)}">尾页</a>')
        return f'<tr class="page"><td colspan="6">{" ".join(parts)}</td></tr>'

    async def list_page(self, request: web.Request) -> web.Response:
        offset = int_param(request.query.get("emailList.offset"), 0)
        if offset is None:
            return self.html(_layout(self.options.charset, "出错了", '<div class="error">参数错误</div>'), 400)
        # cflag picks the mailbox (1 = 市长信箱); other channels are empty on this replica.
        letters = self.listed() if request.query.get("cflag") == "1" else []
        shown = letters[offset:offset + self.options.per_page]
        head = '<tr class="table_title">' + "".join(f"<td>{label}</td>" for label in COLUMNS) + "</tr>"
        rows = "\n".join(self._row(offset + n, letter) for n, letter in enumerate(shown, start=1))
        table = (f'<table class="table1" width="100%" cellspacing="0">\n{head}\n{rows}\n'
                 f"{self._footer(len(letters), offset)}\n</table>")
        return self.html(_layout(self.options.charset, "市长信箱", table))

    # -- detail ---------------------------------------------------------------------------------

    @staticmethod
    def _blocks(letter: Letter) -> str:
        asked = (f'<div class="letter_content1">\n<div class="letter_tit">来信内容</div>\n'
                 f'<div class="specific_letter">{paragraphs(letter.body)}</div>\n'
                 f'<div class="specific_letter_bottom"><span>来信时间：{seconds(letter.posted_at)}</span>'
                 f"<span>来信人：{escape(letter.author)}</span><span>信件类别：{escape(letter.kind)}</span></div>\n</div>")
        if letter.replied_at is None:
            return asked + '\n<div class="letter_wait">该信件正在办理中，请耐心等待。</div>'
        grade = letter.satisfaction or "未评价"
        answered = (f'<div class="letter_content1">\n<div class="letter_tit">回复内容</div>\n'
                    f'<div class="specific_letter">{paragraphs(letter.reply_text)}</div>\n'
                    f'<div class="specific_letter_bottom"><span>满意度：{grade}</span>'
                    f"<span>回复时间：{seconds(letter.replied_at)}</span>"
                    f"<span>回复单位：{escape(letter.unit)}</span></div>\n</div>")
        return asked + "\n" + answered

    async def detail_page(self, request: web.Request) -> web.Response:
        letter = self.find(request.query.get("id", ""))
        charset = self.options.charset
        if letter is None:
            return self.html(_layout(charset, "出错了", '<div class="error">信件不存在</div>'), 404)
        if not letter.public:
            # Non-public letters bounce back to the list.
            raise web.HTTPFound(f"{BASE}/index.jsp?cflag=1&msg={quote('信件不公开')}")
        content = (f'<div class="mailbox_title">{escape(letter.title)}</div>\n'
                   f'<div class="current1"><p><span>浏览量：{letter.views}</span></p></div>\n{self._blocks(letter)}')
        return self.html(_layout(charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> ChangshaSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return ChangshaSite(name, int(seed), Options.parse(name, options, per_page=12))
