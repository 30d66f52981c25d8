"""天津 政民零距离 style: `list8a.jsp?curpage=&rows=&deptId=` table known only by its `align`, static
`/gov_open/{id}.html` with nine `span.content`."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile, reply_title

LIST_PATH = "/gov_open/question/zero/list8a.jsp"
# Two departments' boards seen (jamesfyp/WaiBaoSpider tianjin.py, tianjin_t.py): their list links differ, one
# `…_xianqing/?id=N`, the other `…ly/?id=N`; both lead to /gov_open/N.html. The full jump paths are inferred.
DEPARTMENTS = {"1001000000000000": "/gov_open/question/zero/zero_xianqing/",
               "1002000000000000": "/gov_open/question/zero/zero_ly/"}
MAX_ROWS = 100
PROFILE = Profile(city="天津市", districts=("和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "滨海新区", "东丽区"),
                  kinds=("咨询", "建议", "投诉", "求助"), kind_weights=(35, 20, 30, 15))
COLUMNS = ("类别", "标题", "各区", "日期", "回复", "状态")


def _layout(charset: str, title: str, content: str) -> str:
    return (f"<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)}--政民零距离</title>\n"
            '<link href="/gov_open/css/zero.css" rel="stylesheet" type="text/css">\n</head>\n<body>\n'
            '<div class="top">天津政务网 · 政民零距离</div>\n'
            f"{content}\n"
            '<div class="bottom">天津市人民政府办公厅主办</div>\n</body>\n</html>\n')


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n") if line)


class TianjinSite(MailboxSite):
    """The board lists approved (public) questions only; details are static pages reached through a jump URL."""

    profile = PROFILE
    labels = {PENDING: "待受理", IN_PROGRESS: "办理中", REPLIED: "已回复", CLOSED: "已办结"}
    public_only = True

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)

    def detail_path(self, letter: Letter) -> str:
        return f"/gov_open/{letter.serial}.html"

    @staticmethod
    def department(letter: Letter) -> str:
        """The deptId whose board lists the letter (a third of the letters go to the second one; inferred)."""
        return list(DEPARTMENTS)[1 if letter.serial % 3 == 0 else 0]

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        answered = letter.replied_at is not None
        return {"district": letter.district, "overdue": letter.overdue, "dept": self.department(letter),
                "reply_title": reply_title(letter) if answered else None}

    def routes(self, app: web.Application) -> None:
        app.router.add_get(LIST_PATH, self.slow(self.list_page))
        for jump in DEPARTMENTS.values():
            app.router.add_get(jump, self.slow(self.jump))
        app.router.add_get(r"/gov_open/{id:\d+}.html", self.slow(self.detail_page))

    def _not_found(self) -> web.Response:
        return self.html(_layout(self.options.charset, "404", '<div class="error">您访问的页面不存在</div>'), 404)

    # -- list -----------------------------------------------------------------------------------

    def _row(self, letter: Letter) -> str:
        link = (f'<a href="{DEPARTMENTS[self.department(letter)]}?id={letter.serial}" target="_blank" '
                f'title="{escape(letter.title)}">'
                f"<span>{escape(letter.title)}</span></a>")
        replied = f"{letter.replied_at:%Y-%m-%d}" if letter.replied_at else ""
        cells = (escape(letter.kind), link, letter.district, f"{letter.posted_at:%Y-%m-%d}", replied,
                 self.status(letter))
        return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"

    @staticmethod
    def _footer(total: int, page: int, pages: int, rows: int, dept: str) -> str:
        def link(target: int, label: str) -> str:
            return f'<a href="list8a.jsp?curpage={target}&amp;rows={rows}&amp;deptId={dept}">{label}</a>'

        parts = [f"共{total}条 第{page}/{pages}页", link(1, "首页")]
        if page > 1:
            parts.append(link(page - 1, "上一页"))
        if page < pages:
            parts.append(link(page + 1, "下一页"))
        parts.append(link(pages, "尾页"))
        # The pager is the table's last row (the crawler drops the first and the last row; their markup is inferred).
        return f'<tr><td colspan="6" align="right">{" ".join(parts)}</td></tr>'

    async def list_page(self, request: web.Request) -> web.Response:
        page = int_param(request.query.get("curpage"), 1)
        rows = int_param(request.query.get("rows"), self.options.per_page)
        if not page or not rows:
            return self._not_found()
        rows = min(rows, MAX_ROWS)
        # The list needs the department (seen: both crawlers pass deptId); without a known one it is empty.
        dept = request.query.get("deptId", "")
        letters = [letter for letter in self.listed() if self.department(letter) == dept]
        pages = max(1, math.ceil(len(letters) / rows))
        body = "\n".join(self._row(letter) for letter in letters[(page - 1) * rows:page * rows])
        head = "<tr>" + "".join(f'<td align="center"><b>{label}</b></td>' for label in COLUMNS) + "</tr>"
        # Known to the crawler only as table[@align]: no class or id to hold on to.
        table = (f'<table align="center" width="98%" border="0" cellspacing="1" cellpadding="3">\n{head}\n{body}\n'
                 f"{self._footer(len(letters), page, pages, rows, dept)}\n</table>")
        return self.html(_layout(self.options.charset, "网民留言", table))

    async def jump(self, request: web.Request) -> web.StreamResponse:
        """The list links a jump URL; the content itself is a static page."""
        letter = self.find(request.query.get("id", ""))
        if letter is None or not letter.public:
            return self._not_found()
        raise web.HTTPFound(self.detail_path(letter))

    # -- detail ---------------------------------------------------------------------------------

    @staticmethod
    def _spans(letter: Letter) -> list[tuple[str, str]]:
        asked = [("发表人", escape(letter.author)), ("提问时间", seconds(letter.posted_at)),
                 ("标题", escape(letter.title)), ("内容", _lines(letter.body))]
        if letter.replied_at is None:
            return asked + [(label, "") for label in ("回复部门", "回复时间", "是否超时", "回复标题", "回复内容")]
        return asked + [
            ("回复部门", f'<a href="/gov_open/dept.jsp?name={escape(letter.unit)}">{escape(letter.unit)}</a>'),
            ("回复时间", seconds(letter.replied_at) + "&nbsp;"),  # the CMS template leaves a trailing &nbsp;
            ("是否超时", "是" if letter.overdue else "否"),
            ("回复标题", escape(reply_title(letter))),
            ("回复内容", _lines(letter.reply_text)),
        ]

    async def detail_page(self, request: web.Request) -> web.Response:
        letter = self.find(request.match_info["id"])
        if letter is None or not letter.public:
            return self._not_found()
        rows = "\n".join(f'<tr><td class="label" width="15%">{label}：</td><td><span class="content">{value}</span></td></tr>'
                         for label, value in self._spans(letter))
        content = f'<table width="1000" align="center" class="zero_detail">\n{rows}\n</table>'
        return self.html(_layout(self.options.charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> TianjinSite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return TianjinSite(name, int(seed), Options.parse(name, options, per_page=15, charset="gbk"))
