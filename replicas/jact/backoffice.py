"""The handling units' back office of the jact replica: TOTP login, letter list API, reply form, fault controls."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass

import pyotp
from aiohttp import web

from replicas import textgen
from replicas.framework import CONTROL_PREFIX
from replicas.jact import backoffice_pages as pages
from replicas.jact.backoffice_faults import Faults
from replicas.jact.letters import CLOSED, Letter, record_reply
from replicas.jact.world import World

ADMIN = "/jact/admin/"
LOGIN_PATH, INDEX_PATH, REPLY_PATH = ADMIN + "login.do", ADMIN + "index.do", ADMIN + "reply.do"
SESSION_COOKIE = "JSESSIONID"
MAX_REPLY_CHARS = 2000
BANNED_WORDS = ("法轮", "六合彩", "代开发票")
BAD_LOGIN, BAD_CODE = "用户名或密码错误", "动态口令错误"
EMPTY, TOO_LONG, BANNED = "回复内容不能为空", f"回复内容不能超过{MAX_REPLY_CHARS}字", "回复内容含有敏感词"
NO_PERMISSION, IS_CLOSED = "无权回复该信件", "该信件已办结，不能回复"
_dumps = functools.partial(json.dumps, ensure_ascii=False)
# Account names as unit staff know them (pinyin initials of the bureau).
USERNAMES = {"市住房和城乡建设局": "zjj", "市交通运输局": "jtj", "市生态环境局": "sthjj", "市教育局": "jyj",
             "市人力资源和社会保障局": "rsj", "市卫生健康委员会": "wjw", "市公安局": "gaj", "市农业农村局": "nyncj",
             "市政务服务管理局": "zwfwj", "市城市管理局": "cgj", "区人民政府": "qzf"}


@dataclass(frozen=True)
class Account:
    """One handling unit's login; the TOTP secret is what its staff's token app holds."""

    unit: str
    username: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class Session:
    token: str
    account: Account
    csrf: str


def make_accounts(seed: int) -> dict[str, Account]:
    """Accounts by user name; passwords and secrets derive from the seed, so a restart keeps them."""
    accounts = {}
    for unit in textgen.UNITS:
        digest = hashlib.sha256(f"jact/{seed}/{unit}".encode()).digest()
        password = "Jact@" + digest[:4].hex()
        secret = base64.b32encode(digest[8:28]).decode()
        accounts[USERNAMES[unit]] = Account(unit, USERNAMES[unit], password, secret)
    return accounts


def refusal(letter: Letter, unit: str, text: str) -> str | None:
    """The back office's objection to `unit` replying `text` to `letter`, or None when it would store it."""
    if letter.unit != unit:
        return NO_PERMISSION
    if letter.status == CLOSED:
        return IS_CLOSED
    if not text:
        return EMPTY
    if len(text) > MAX_REPLY_CHARS:
        return TOO_LONG
    return BANNED if any(word in text for word in BANNED_WORDS) else None


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _to_login() -> web.Response:
    return web.Response(status=302, headers={"Location": LOGIN_PATH, "Cache-Control": "no-store"})


class BackOffice:
    """Routes and state of the back office over the replica's letters."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.accounts = make_accounts(seed)
        self.sessions: dict[str, Session] = {}
        self.faults = Faults()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", LOGIN_PATH, self.login)
        app.router.add_get(ADMIN + "logout.do", self.logout)
        app.router.add_get(INDEX_PATH, self.index)
        app.router.add_get(ADMIN + "api/letters", self.api_letters)
        app.router.add_route("*", REPLY_PATH, self.reply)
        app.router.add_get(CONTROL_PREFIX + "jact/accounts", self.list_accounts)
        app.router.add_post(CONTROL_PREFIX + "jact/expire-sessions", self.expire_sessions)
        app.router.add_route("*", CONTROL_PREFIX + "jact/faults", self.arm_faults)

    def _session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))

    async def login(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return _html(pages.login_page())
        form = await request.post()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        account = self.accounts.get(username)
        if account is None or not secrets.compare_digest(account.password.encode(), password.encode()):
            return _html(pages.login_page(BAD_LOGIN, username))
        code = str(form.get("dynamicCode", "")).strip()
        # One step either side, as token servers allow for clock drift and a code typed at the boundary.
        if not (code.isdigit() and len(code) == 6 and pyotp.TOTP(account.totp_secret).verify(code, valid_window=1)):
            return _html(pages.login_page(BAD_CODE, username))
        session = Session(secrets.token_hex(16), account, secrets.token_urlsafe(16))
        self.sessions[session.token] = session
        response = web.Response(status=302, headers={"Location": INDEX_PATH})
        response.set_cookie(SESSION_COOKIE, session.token, path="/jact/admin", httponly=True)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is not None:
            self.sessions.pop(session.token, None)
        return _to_login()

    async def index(self, request: web.Request) -> web.Response:
        session = self._session(request)
        return _html(pages.index_page(session.account.unit)) if session else _to_login()

    async def api_letters(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return web.json_response({"code": 401, "msg": "登录超时，请重新登录"}, status=401)
        mine = [letter for letter in reversed(self.world.letters) if letter.unit == session.account.unit]
        rows = [{"transactId": letter.transact_id, "letter_no": letter.letter_no, "title": letter.title,
                 "status": letter.status, "answered": bool(letter.replies())} for letter in mine]
        return web.json_response({"total": len(rows), "rows": rows}, dumps=_dumps)

    async def reply(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None:
            return _to_login()
        form = await request.post() if request.method == "POST" else None
        raw_id = request.query.get("transactId", "")
        letter = self.world.by_id.get(int(raw_id)) if raw_id.isdigit() else None
        unit = session.account.unit
        if letter is None:
            return _html(pages.message_page("信件不存在", unit), status=404)
        if letter.unit != unit:
            return _html(pages.message_page(NO_PERMISSION, unit))
        if form is None:
            return _html(pages.reply_page(unit, letter, session.csrf))
        if not secrets.compare_digest(str(form.get("csrfToken", "")).encode(), session.csrf.encode()):
            return _html(pages.message_page("页面已过期，请刷新后重试", unit), status=403)
        return await self._store_reply(request, session, letter, str(form.get("content", "")))

    async def _store_reply(self, request: web.Request, session: Session, letter: Letter,
                           content: str) -> web.StreamResponse:
        text = content.replace("\r\n", "\n").strip()  # browsers send a textarea's line breaks as CRLF
        unit = session.account.unit
        problem = refusal(letter, unit, text)
        if problem:
            return _html(pages.reply_page(unit, letter, session.csrf, problem, content))
        failed = await self._fault("before_store", request, session)
        if failed is not None:
            return failed
        stored = record_reply(letter, unit, text, self.world.clock)
        failed = await self._fault("after_store", request, session)
        return failed if failed is not None else _html(pages.reply_done_page(unit, letter, stored))

    async def _fault(self, stage: str, request: web.Request, session: Session) -> web.Response | None:
        fault = self.faults.take(stage)
        kind = fault.kind if fault is not None else None
        if kind == "close" and request.transport is not None:
            request.transport.close()  # the client sees the connection drop without any answer
            raise web.HTTPBadGateway()
        if kind == "expire":
            self.sessions.pop(session.token, None)  # the session times out while the form is on its way
            return _to_login()
        if fault is not None and kind in ("503", "429"):
            page = pages.busy_page() if kind == "503" else pages.too_many_page()
            return _html(page, int(kind), {"Retry-After": str(fault.retry_after_s)})
        if fault is not None and kind == "hold":
            await self.faults.hold(fault.hold_s)  # the backend is slow; the gateway gives up first
            return _html(pages.GATEWAY_TIMEOUT, 504)
        return _html(pages.BAD_GATEWAY, 502) if kind == "502" else None

    async def list_accounts(self, _: web.Request) -> web.Response:
        rows = [{"unit": a.unit, "username": a.username, "password": a.password, "totp_secret": a.totp_secret}
                for a in self.accounts.values()]
        return web.json_response(rows, dumps=_dumps)

    async def expire_sessions(self, _: web.Request) -> web.Response:
        expired = len(self.sessions)
        self.sessions.clear()
        return web.json_response({"expired": expired})

    async def arm_faults(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.json_response(self.faults.armed)
        try:
            return web.json_response(self.faults.arm(await request.json()))
        except (TypeError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
