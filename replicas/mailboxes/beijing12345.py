"""北京 12345 style: a POST form list answering JSON (`newComplainnList`, `PageCond`) and an HTML detail flow."""

from __future__ import annotations

import json
import math
from functools import partial
from html import escape
from typing import Any

from aiohttp import web

from replicas.mailboxes.base import MailboxSite, Options, int_param, meta_tag, seconds
from replicas.mailboxes.letters import CLOSED, IN_PROGRESS, PENDING, REPLIED, Letter, Profile

LIST_PATH = "/default/com.web.complain.complain.moreNewComplain.biz.ext"
DETAIL_PATH = "/default/com.web.complain.complainDetail.flow"
MAX_LENGTH = 100
_dumps = partial(json.dumps, ensure_ascii=False)
KIND_CODES = {"咨询": "1", "建议": "2", "投诉": "3"}
PROFILE = Profile(city="北京市", districts=("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区"),
                  kinds=tuple(KIND_CODES), kind_weights=(40, 25, 35), hotline=True)


def _layout(charset: str, title: str, content: str) -> str:
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag(charset)}\n<title>{escape(title)}-北京市民热线服务中心</title>\n"
            '<link rel="stylesheet" href="/default/css/complain.css">\n</head>\n<body>\n'
            '<div class="header">首都之窗 · 市民热线反映</div>\n'
            f'<div class="container">\n{content}\n</div>\n<div class="footer">北京市政务服务和数据管理局</div>\n'
            "</body>\n</html>\n")


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n") if line)


class Beijing12345Site(MailboxSite):
    """The 12345 portal: the JSON list holds the public letters only; each detail shows the reply track."""

    profile = PROFILE
    labels = {PENDING: "待受理", IN_PROGRESS: "办理中", REPLIED: "已答复", CLOSED: "已办结"}
    public_only = True

    def site_id(self, letter: Letter) -> str:
        return f"AH{letter.posted_at:%y%m%d}{letter.day_no:05d}"

    def letter_no(self, letter: Letter) -> str:
        return self.site_id(letter)

    def detail_path(self, letter: Letter) -> str:
        return f"{DETAIL_PATH}?originalId={self.site_id(letter)}"

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        return {"kind_code": KIND_CODES[letter.kind], "re_code": str(letter.ratings),
                "likes": letter.likes, "dislikes": letter.dislikes}

    def routes(self, app: web.Application) -> None:
        app.router.add_post(LIST_PATH, self.slow(self.list_api))
        app.router.add_get(DETAIL_PATH, self.slow(self.detail_page))

    # -- list -----------------------------------------------------------------------------------

    def _item(self, letter: Letter) -> dict[str, str]:
        return {"letterType": KIND_CODES[letter.kind], "letterTitle": letter.title, "letterContent": letter.body,
                "writeUser": letter.author, "fomateWriteDate": f"{letter.posted_at:%Y-%m-%d}",
                "originalId": self.site_id(letter), "reCode": str(letter.ratings)}

    async def list_api(self, request: web.Request) -> web.Response:
        form = await request.post()
        begin = int_param(str(form.get("PageCond/begin", "")), 0)
        length = int_param(str(form.get("PageCond/length", "")), self.options.per_page)
        if begin is None or not length:
            return web.json_response({"exception": {"message": "PageCond参数错误"}}, status=500)
        length = min(length, MAX_LENGTH)
        letters = self.listed()
        counted = str(form.get("PageCond/isCount", "false")).lower() == "true"
        total = len(letters)
        page = {"begin": begin, "length": length, "isCount": counted, "currentPage": begin // length + 1,
                "count": total if counted else None,
                "totalPage": max(1, math.ceil(total / length)) if counted else None,
                "isFirst": begin == 0, "isLast": begin + length >= total}
        items = [self._item(letter) for letter in letters[begin:begin + length]]
        # The Java service writes raw UTF-8, not \u escapes.
        return web.json_response({"newComplainnList": items, "PageCond": page}, dumps=_dumps)

    # -- detail ---------------------------------------------------------------------------------

    @staticmethod
    def _tracks(letter: Letter) -> str:
        # First track: the citizen's letter; second (once answered): the handling unit's reply.
        tracks = [f'<div class="mail_track"><span>{escape(letter.author)}</span>'
                  f"<span>{seconds(letter.posted_at)}</span><p>{_lines(letter.body)}</p></div>"]
        if letter.replied_at is not None:
            tracks.append(f'<div class="mail_track"><span>{escape(letter.unit)}</span>'
                          f"<span>{seconds(letter.replied_at)}</span><p>{_lines(letter.reply_text)}</p></div>")
        return "\n".join(tracks)

    async def detail_page(self, request: web.Request) -> web.Response:
        letter = self.find(request.query.get("originalId", ""))
        charset = self.options.charset
        if letter is None or not letter.public:
            # The flow answers 200 with a notice rather than an error status.
            return self.html(_layout(charset, "提示", '<div class="mail_none">该信件不存在或暂未公开。</div>'))
        votes = (f'<div class="mail_vote"><a id="zan" href="javascript:;">赞(<span id="zanNum">{letter.likes}</span>)</a>'
                 f'<a id="cai" href="javascript:;">踩(<span id="caiNum">{letter.dislikes}</span>)</a></div>')
        content = (f'<div class="mail_detail">\n<div class="mail_title"><strong>[{escape(letter.kind)}]</strong>'
                   f"{escape(letter.title)}</div>\n"
                   f'<p class="font12 gray time_mail"><span>来信人：{escape(letter.author)}</span>'
                   f"<span>来信时间：{seconds(letter.posted_at)}</span><span>编号：{self.site_id(letter)}</span></p>\n"
                   f"{self._tracks(letter)}\n{votes}\n</div>")
        return self.html(_layout(charset, letter.title, content))


def create(name: str, seed: int, **options: Any) -> Beijing12345Site:
    """Build the replica; `options` may be strings (letters, per_page = default PageCond/length, new_per_step,
    latency_ms, charset of the detail pages)."""
    return Beijing12345Site(name, int(seed), Options.parse(name, options, per_page=6))
