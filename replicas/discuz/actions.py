"""What members post: quick login, logout, and the fast reply with its inajax XML answers."""

from __future__ import annotations

from aiohttp import web

from replicas.discuz.auth import Session
from replicas.discuz.post import BAD_FORMHASH
from replicas.discuz.respond import encoded, form, handlekey, intval, set_cookie, visitor, xml
from replicas.discuz.state import Forum
from replicas.discuz.templates import ajax
from replicas.discuz.templates.layout import showmessage

LOGGED_OUT = "您已退出站点，现在将以游客身份转入退出前页面，请稍候……"
WELCOME = "欢迎您回来，{group} {username}，现在将转入登录前页面"


async def login(forum: Forum, request: web.Request) -> web.Response:
    """member.php?mod=logging&action=login&loginsubmit=yes…: username/password in the site charset."""
    fields = await form(request, forum.settings.charset)
    result = forum.sessions.login(fields.get("username", ""), fields.get("password", ""))
    key, charset = handlekey(request, "ls"), forum.settings.charset
    if not isinstance(result, Session):
        return _respond(forum, request, ajax.error(charset, key, result), result)
    user = result.user
    message = WELCOME.format(group=user.group, username=user.username)
    values = {"username": user.username, "usergroup": user.group, "uid": str(user.uid), "syn": "0"}
    response = _respond(forum, request, ajax.succeed(charset, key, "forum.php", message, values), message, ok=True)
    set_cookie(response, forum.sessions.auth_cookie, result.token)
    if not request.cookies.get(forum.sessions.saltkey_cookie):
        set_cookie(response, forum.sessions.saltkey_cookie, result.token[:8])
    return response


def _respond(forum: Forum, request: web.Request, xml_text: str, plain: str, ok: bool = False) -> web.Response:
    """inajax requests get the XML envelope; a plain form post gets the full-page notice."""
    if request.query.get("inajax"):
        return xml(forum, xml_text)
    _, chrome, _ = visitor(forum, request)
    return encoded(forum, showmessage(chrome, plain, ok))


def logout(forum: Forum, request: web.Request) -> web.Response:
    """member.php?mod=logging&action=logout&formhash=…: ends the session only when the formhash matches."""
    session, chrome, _ = visitor(forum, request)
    if session and request.query.get("formhash") != session.formhash:
        return encoded(forum, showmessage(chrome, BAD_FORMHASH))
    if session:
        forum.sessions.logout(session)
    response = encoded(forum, showmessage(visitor(forum, request)[1], LOGGED_OUT, ok=True))
    response.del_cookie(forum.sessions.auth_cookie, path="/")
    return response


async def reply(forum: Forum, request: web.Request) -> web.Response:
    """forum.php?mod=post&action=reply&fid=&tid=&replysubmit=yes&handlekey=fastpost&inajax=1."""
    fields = await form(request, forum.settings.charset)
    session, _, _ = visitor(forum, request)
    tid = intval(fields.get("tid"))
    outcome = forum.desk.submit(session, tid, fields, forum.now())
    key, charset = handlekey(request, "fastpost"), forum.settings.charset
    if not outcome.ok or outcome.post is None:
        return _respond(forum, request, ajax.error(charset, key, outcome.message), outcome.message)
    pid, thread = outcome.post.pid, forum.world.threads[tid]
    url = f"forum.php?mod=viewthread&tid={tid}&pid={pid}&page=1&extra=page%3D1#pid{pid}"
    values = {"fid": str(thread.fid), "tid": str(tid), "pid": str(pid), "from": "", "sechash": ""}
    return _respond(forum, request, ajax.succeed(charset, key, url, outcome.message, values), outcome.message,
                    ok=True)
