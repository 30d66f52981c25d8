"""/audit (审计, admins only): the console's audit log — sign-ins, unmasked views, exports, reply decisions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from harvester.app.console.pages import render
from harvester.app.console.security import Admin, store_of
from harvester.store.console_audit import audit_entries

router = APIRouter(include_in_schema=False)
ACTIONS = {"login": "登录", "login_failed": "登录失败", "logout": "退出", "unmasked_view": "查看未脱敏信息",
           "export": "导出", "reply_drafted": "起草答复", "reply_edited": "修改答复", "reply_approved": "批准答复",
           "reply_sent_back": "退回答复", "reply_cancelled": "撤销答复"}


@router.get("/audit")
def audit(request: Request, who: Admin, actor: str = "", action: str = "") -> Response:
    with store_of(request).transaction() as repo:
        entries = audit_entries(repo, actor=actor or None, action=action or None, limit=500)
    return render(request, "audit.html", entries=entries, actions=ACTIONS, actor=actor, action=action)
