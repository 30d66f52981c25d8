"""Request and response plumbing in the site charset: who is visiting, form bodies, encoded pages and XML."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from urllib.parse import parse_qsl

from aiohttp import web

from replicas.discuz.auth import Session
from replicas.discuz.state import Forum
from replicas.discuz.templates.layout import Chrome

SALT_CHARS = string.ascii_letters + string.digits


def visitor(forum: Forum, request: web.Request) -> tuple[Session | None, Chrome, str | None]:
    """The session (if any), the page chrome, and a new saltkey to set when the visitor has none."""
    session = forum.sessions.viewer(dict(request.cookies))
    saltkey = request.cookies.get(forum.sessions.saltkey_cookie)
    new_salt = None if saltkey else "".join(secrets.choice(SALT_CHARS) for _ in range(8))
    formhash = session.formhash if session else forum.sessions.guest_formhash(saltkey or new_salt or "")
    chrome = Chrome(forum.settings.charset, session.user if session else None, formhash, forum.now(),
                    forum.settings.display)
    return session, chrome, new_salt


def encoded(forum: Forum, text: str, content_type: str = "text/html") -> web.Response:
    """Bytes in the site charset; HTML says so in the header, inajax XML only in its declaration."""
    charset = forum.settings.charset
    header = f"{content_type}; charset={charset}" if content_type == "text/html" else content_type
    return web.Response(body=text.encode(charset, errors="xmlcharrefreplace"), headers={"Content-Type": header})


def html_page(forum: Forum, request: web.Request, render: Callable[[Chrome], str]) -> web.Response:
    """Render a page for this visitor, handing a guest a saltkey cookie as Discuz does on first visit."""
    _, chrome, new_salt = visitor(forum, request)
    response = encoded(forum, render(chrome))
    if new_salt:
        set_cookie(response, forum.sessions.saltkey_cookie, new_salt)
    return response


def xml(forum: Forum, text: str) -> web.Response:
    return encoded(forum, text, "application/xml")


def set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/", httponly=True)


async def form(request: web.Request, charset: str) -> dict[str, str]:
    """Query and urlencoded body merged (body wins), decoded in the SITE charset as PHP keeps the bytes it
    gets: a UTF-8 form sent to a GBK site arrives garbled, a GBK one intact. Raw bytes are accepted too."""
    fields = _decode(request.rel_url.raw_query_string, charset)
    if request.content_type.startswith("multipart/"):
        return {**fields, **{key: str(value) for key, value in (await request.post()).items()}}
    return {**fields, **_decode((await request.read()).decode("latin-1"), charset)}


def _decode(raw: str, charset: str) -> dict[str, str]:
    pairs = parse_qsl(raw, keep_blank_values=True, encoding="latin-1")
    return {key.encode("latin-1").decode(charset, "replace"): value.encode("latin-1").decode(charset, "replace")
            for key, value in pairs}


def intval(text: str | None, default: int = 0) -> int:
    """PHP intval(): the leading digits, or the default; never an error page."""
    match = re.match(r"-?\d+", text or "")
    return int(match.group()) if match else default


def int_arg(request: web.Request, key: str, default: int = 0) -> int:
    return intval(request.query.get(key), default)


def handlekey(request: web.Request, default: str) -> str:
    key = request.query.get("handlekey", default)
    return key if re.fullmatch(r"[A-Za-z0-9_]+", key) else default
