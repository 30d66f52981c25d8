"""Hanweb JCMS style: a column page embedding jpage XML records, the POST dataproxy.jsp list, article pages."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag, paragraphs, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

COLUMN = "1229"
UNIT_ID = "5735"
WEBID = "1"
WEBNAME = "南通市人民政府"
PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
GROUP_SIZE = 3  # jpage fetches three pages per request; the column page embeds the first group
PROFILE = Profile(city="南通市", districts=("崇川区", "通州区", "海门区", "如皋市", "启东市", "海安市"),
                  kinds=("咨询", "投诉", "建议", "求助", "举报"), kind_weights=(30, 30, 20, 15, 5))
FORM = {"col": "1", "appid": "1", "webid": WEBID, "path": "/", "columnid": COLUMN, "sourceContentType": "1",
        "unitid": UNIT_ID, "webname": WEBNAME, "permissiontype": "0"}


def _layout(charset: str, title: str, content: str) -> str:
    return (f'<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)} {WEBNAME}</title>\n'
            '<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>\n'
            '<script type="text/javascript" src="/module/web/jpage/jpage.js"></script>\n</head>\n<body>\n'
            f'<div class="bt-head">{WEBNAME} · 市长信箱</div>\n{content}\n'
            '<div class="bt-foot">主办：南通市人民政府办公室　技术支持：大汉网络</div>\n</body>\n</html>\n')


def _nextgroup() -> str:
    query = "&".join(f"{key}={quote(value)}" for key, value in FORM.items() if key not in ("col", "sourceContentType"))
    return f'<nextgroup><![CDATA[<a href="{PROXY_PATH}?page=1&{query}"></a>]]></nextgroup>'


class HanwebProxySite(MailboxSite):
    """A JCMS column publishing public letters as articles; the list is jpage XML, in the page and by POST."""

    profile = PROFILE
    labels = {PENDING: "待处理", IN_PROGRESS: "办理中", REPLIED: "已回复", CLOSED: "已办结"}
    public_only = True  # the CMS only ever publishes the letters marked public

    def site_id(self, letter: Letter) -> str:
        return str(letter.serial)

    def detail_path(self, letter: Letter) -> str:
        day = letter.posted_at
        return f"/art/{day.year}/{day.month}/{day.day}/art_{COLUMN}_{letter.serial}.html"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(r"/col/col{column:\d+}/index.html", self.slow(self.column_page))
        app.router.add_post(PROXY_PATH, self.slow(self.dataproxy))
        app.router.add_get(r"/art/{y:\d+}/{m:\d+}/{d:\d+}/art_{column:\d+}_{id:\d+}.html", self.slow(self.article))

    def _not_found(self) -> web.Response:
        return self.html(_layout(self.options.charset, "404", '<div class="bt-error">对不起，您访问的页面不存在！</div>'), 404)

    # -- the jpage list ---------------------------------------------------------------------------

    def _record(self, letter: Letter) -> str:
        item = (f'<li><a href="{self.detail_path(letter)}" target="_blank" title="{escape(letter.title)}">'
                f'{escape(letter.title)}</a><span class="bt-data-time">{letter.posted_at:%Y-%m-%d}</span></li>')
        return f"<record><![CDATA[{item}]]></record>"

    def _recordset(self, start: int, end: int) -> str:
        """Records `start`..`end`, 1-based and inclusive like jpage's startrecord/endrecord."""
        letters = self.listed()[max(0, start - 1):max(0, end)]
        return "<recordset>\n" + "\n".join(self._record(letter) for letter in letters) + "\n</recordset>"

    async def column_page(self, request: web.Request) -> web.Response:
        if request.match_info["column"] != COLUMN:
            return self._not_found()
        per_page = self.options.per_page
        total = len(self.listed())
        store = (f'<script type="text/xml"><datastore>\n{_nextgroup()}\n'
                 f"{self._recordset(1, per_page * GROUP_SIZE)}\n</datastore></script>")
        params = ",".join(f"{key}:'{value}'" for key, value in FORM.items())
        script = (f"<script type=\"text/javascript\">$(document).ready(function(){{$('#{UNIT_ID}').jpage({{"
                  f"dataStore:dataStore,perPage:{per_page},totalRecord:{total},groupSize:{GROUP_SIZE},"
                  f"proxyUrl:'{PROXY_PATH}',dataBefore:'<ul class=\"bt-list\">',dataAfter:'</ul>',"
                  f"objId:'{UNIT_ID}',ajaxParam:{{{params}}}}});}});</script>")
        content = (f'<div class="bt-box"><div class="bt-title">信件公开</div>\n<div id="{UNIT_ID}">{store}</div>\n'
                   f"{script}\n</div>")
        return self.html(_layout(self.options.charset, "信件公开", content))

    async def dataproxy(self, request: web.Request) -> web.Response:
        form = await request.post()
        per_page = int_param(request.query.get("perpage"), self.options.per_page) or self.options.per_page
        start = int_param(request.query.get("startrecord"), 1) or 1
        end = int_param(request.query.get("endrecord"), start + per_page * GROUP_SIZE - 1) or 0
        # A wrong column or unit yields an empty store, as the proxy answers for a column it does not know.
        known = form.get("columnid") == COLUMN and form.get("unitid") == UNIT_ID
        total = len(self.listed()) if known else 0
        records = self._recordset(start, end) if known else "<recordset>\n</recordset>"
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n{_nextgroup()}\n{records}\n'
               f"<totalrecord>{total}</totalrecord>\n<totalpage>{-(-total // per_page)}</totalpage>\n</datastore>\n")
        return web.Response(body=xml.encode("utf-8"), headers={"Content-Type": "text/xml;charset=UTF-8"})

    # -- article ----------------------------------------------------------------------------------

    def _rows(self, letter: Letter) -> list[tuple[str, str]]:
        rows = [("信件标题", escape(letter.title)), ("来信人", escape(letter.author)),
                ("来信时间", seconds(letter.posted_at)), ("信件类型", escape(letter.kind)),
                ("办理状态", self.status(letter)), ("来信内容", paragraphs(letter.body))]
        if letter.unit:
            rows.append(("办理单位", escape(letter.unit)))
        if letter.replied_at is not None:
            rows += [("回复时间", seconds(letter.replied_at)), ("回复内容", paragraphs(letter.reply_text))]
        return rows

    async def article(self, request: web.Request) -> web.Response:
        letter = self.find(request.match_info["id"])
        if letter is None or not letter.public or request.path != self.detail_path(letter):
            return self._not_found()
        rows = "\n".join(f'<tr><td class="td_label">{label}</td><td class="td_value">{value}</td></tr>'
                         for label, value in self._rows(letter))
        content = (f'<div class="bt-article">\n<h1 class="art_title">{escape(letter.title)}</h1>\n'
                   f'<div class="art_info">发布日期：{letter.posted_at:%Y-%m-%d}　来源：{WEBNAME}</div>\n'
                   f'<table class="xxgk_table" width="100%" cellspacing="0">\n{rows}\n</table>\n</div>')
        return self.html(_layout(self.options.charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> HanwebProxySite:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms, charset)."""
    return HanwebProxySite(name, int(seed), Options.parse(name, options, per_page=15))
