"""Rendering console pages: the Jinja2 templates (autoescaped), display names, and the headers every page gets."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from harvester.app.console.roles import ROLE_NAMES
from harvester.timeutil import to_shanghai
from harvester.vocab import KIND_NAMES, Kind

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STATUS_NAMES = {"pending": "待回复", "in_progress": "办理中", "replied": "已回复", "closed": "已办结",
                "hidden": "已隐藏"}
TOPIC_NAMES = {"urban_construction": "城建", "transport": "交通", "environment": "环保", "education": "教育",
               "health": "医疗", "public_security": "治安", "agriculture": "三农", "employment": "就业",
               "government": "政务", "enterprise": "企业", "tourism": "旅游", "finance": "金融", "culture": "文体",
               "other": "其他"}
REPLY_STATES = {"draft": "待审核", "approved": "已批准", "sending": "发送中", "posted": "已发布",
                "posted_pending_moderation": "已提交待平台审核", "verified": "已核实", "rejected": "平台拒收",
                "dead": "发送失败", "cancelled": "已撤销"}
EVENT_NAMES = {"created": "首次采集", "status_changed": "状态变化", "reply_added": "新增回复",
               "reply_removed": "回复消失", "text_edited": "正文修改",
               "updated": "信息更新", "hidden": "被隐藏", "reappeared": "重新出现"}
KINDS = {kind.value: name for kind, name in KIND_NAMES.items()} | {Kind.OTHER.value: "其他", "complex": "复杂事项"}
NAV = (("/ledger", "台账"), ("/board", "督办"), ("/review", "审核"), ("/health", "运行"), ("/report", "统计"))
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # pages hold personal data and handling material
}


# The outbox writes its audit details in English; the page shows the usual ones in Chinese, the rest as written.
PREFIXES = (("approval voided: ", "批准作废："), ("sent back: ", "退回修改："), ("approved (hash ", "批准（内容指纹 "),
            ("posted: ", "已发布："), ("rejected: ", "平台拒收："))
WHOLE = {"created": "起草", "cancelled": "撤销", "text edited": "修改正文",
         "content changed after approval": "批准后内容被改动"}


def detail_zh(detail: str | None) -> str:
    """An outbox audit detail in Chinese where it is one of the outbox's own phrases (a person's words stay)."""
    text, shown = detail or "", ""
    changed = True
    while changed:
        changed = False
        for english, chinese in PREFIXES:
            if text.startswith(english):
                text, shown, changed = text[len(english):], shown + chinese, True
    text = WHOLE.get(text, text)
    return shown + (text[:-2] + "…）" if shown.endswith("内容指纹 ") and text.endswith("…)") else text)


def beijing(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware time as Beijing wall-clock text ('' for None)."""
    return "" if value is None else to_shanghai(value).strftime(fmt)


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return beijing(value, "%Y-%m-%d") if isinstance(value, datetime) else value.isoformat()


templates.env.filters.update(bj=beijing, day=day, zh=detail_zh)
templates.env.globals.update(STATUS_NAMES=STATUS_NAMES, TOPIC_NAMES=TOPIC_NAMES, REPLY_STATES=REPLY_STATES,
                             KINDS=KINDS, NAV=NAV, ROLE_NAMES=ROLE_NAMES, EVENT_NAMES=EVENT_NAMES)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template `name` with the signed-in user (if any), their CSRF token and the page's path."""
    who = getattr(request.state, "who", None)
    context |= {"who": who, "csrf": who.csrf if who else context.get("csrf", ""), "path": request.url.path}
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(HEADERS)
    return response
