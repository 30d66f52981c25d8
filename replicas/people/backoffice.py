"""The handling unit's back office: TOTP login, its JSON work list, and the reply form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from replicas.people.accounts import Session, Sessions
from replicas.people.api import FORM_STATES, json_response
from replicas.people.backoffice_pages import login_page, worklist_page
from replicas.people.messages import Message, Reply
from replicas.people.state import SiteState

COOKIE = "BOSESSIONID"
MIN_REPLY_CHARS = 10
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fail(status: int, code: str, msg: str) -> web.Response:
    return json_response({"code": code, "msg": msg}, status)


def _redirect(location: str, status: int = 302) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


class BackOffice:
    """Routes under /backoffice/ for the units of the site's boards."""

    def __init__(self, state: SiteState, sessions: Sessions) -> None:
        self.state = state
        self.sessions = sessions

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/backoffice/login", self.login_form)
        app.router.add_post("/backoffice/login", self.login)
        app.router.add_post("/backoffice/logout", self.logout)
        app.router.add_get("/backoffice/", self.worklist)
        app.router.add_get("/backoffice/api/messages", self.api_messages)
        app.router.add_get("/backoffice/api/replies", self.api_replies)
        app.router.add_post("/backoffice/reply", self.reply)

    def _session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE, ""))

    def _own(self, session: Session, tid: str) -> Message | None:
        message = self.state.world.by_tid.get(int(tid)) if tid.strip().isdigit() else None
        if message is None or message.board.fid != session.account.fid or not message.published:
            return None  # not this unit's, or not approved yet (units see messages once they are public)
        return message

    async def login_form(self, _: web.Request) -> web.StreamResponse:
        return web.Response(text=login_page(), content_type="text/html", charset="utf-8")

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        found = self.sessions.login(*(str(form.get(key, "")).strip() for key in ("username", "password", "otp")))
        if found is None:
            page = login_page("登录失败：用户名、密码或动态口令错误")
            return web.Response(text=page, content_type="text/html", charset="utf-8")
        response = _redirect("/backoffice/")
        response.set_cookie(COOKIE, found[0], path="/backoffice", httponly=True, samesite="Lax")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        self.sessions.logout(request.cookies.get(COOKIE, ""))
        response = _redirect("/backoffice/login")
        response.del_cookie(COOKIE, path="/backoffice")
        return response

    async def worklist(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None:
            return _redirect("/backoffice/login")
        return web.Response(text=worklist_page(session.account.unit), content_type="text/html", charset="utf-8")

    async def api_messages(self, request: web.Request) -> web.StreamResponse:
        """The unit's messages, newest first, optionally one state (`?state=2`, 3, 4 as in the list API, or the
        state's name)."""
        session = self._session(request)
        if session is None:
            return _fail(401, "BO401", "登录已失效，请重新登录")
        wanted = request.query.get("state", "")
        wanted = FORM_STATES.get(int(wanted), "") if wanted.isdigit() else wanted
        items = [{"tid": m.tid, "subject": m.subject, "content": m.content, "dateline": m.dateline,
                  "stateInfo": m.state, "replies": len(m.replies)}
                 for m in reversed(self.state.world.by_fid[session.account.fid])
                 if m.published and wanted in ("", m.state)]
        return json_response({"code": 0, "unit": session.account.unit, "fid": session.account.fid,
                              "csrf": session.csrf, "messages": items})

    async def api_replies(self, request: web.Request) -> web.StreamResponse:
        """This unit's replies to one message, so a client can check whether its reply already landed."""
        session = self._session(request)
        if session is None:
            return _fail(401, "BO401", "登录已失效，请重新登录")
        message = self._own(session, request.query.get("tid", ""))
        if message is None:
            return _fail(404, "BO404", "留言不存在或不属于本单位")
        replies = [_reply_json(r) for r in message.replies if r.organization == session.account.unit]
        return json_response({"code": 0, "tid": message.tid, "stateInfo": message.state, "replies": replies})

    async def reply(self, request: web.Request) -> web.StreamResponse:
        """Form POST tid, content, csrf. XHR callers get JSON; a plain form post is redirected (303)."""
        session, form = self._session(request), await request.post()
        if session is None:
            return _fail(401, "BO401", "登录已失效，请重新登录")
        if str(form.get("csrf", "")) != session.csrf:
            return _fail(403, "BO403", "页面已过期，请刷新后重试")
        message = self._own(session, str(form.get("tid", "")))
        if message is None:
            return _fail(404, "BO404", "留言不存在或不属于本单位")
        content = str(form.get("content", "")).strip()
        if len(content) < MIN_REPLY_CHARS:
            return _fail(400, "BO400", f"回复内容不能少于{MIN_REPLY_CHARS}个字")
        reply = self.state.world.post_reply(message, session.account.unit, content)
        self.state.replies_posted += 1
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
            return _redirect(f"/backoffice/?replied={message.tid}&answerId={reply.answer_id}", 303)
        return json_response({"code": 0, "msg": "回复成功", "tid": message.tid, "answerId": reply.answer_id,
                              "dateline": reply.dateline, "stateInfo": message.state})


def _reply_json(reply: Reply) -> dict[str, Any]:
    return {"answerId": reply.answer_id, "organization": reply.organization, "content": reply.content,
            "dateline": reply.dateline}
