"""Who is signed in, what their role allows, and CSRF: every POST carries its session's token in field `csrf`.

Pages without a session redirect to /login (LoginRequired); a refused action renders an error page (Refused).
The sign-in form itself has no session yet: it carries a token matching a short-lived cookie (double submit).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from harvester.app.console.roles import REFUSED, Can, rights
from harvester.app.console.settings import ConsoleSettings
from harvester.store.console_accounts import SignedIn, session_of
from harvester.store.db import Store

SESSION_COOKIE = "lyc_session"
LOGIN_COOKIE = "lyc_login"


class LoginRequired(Exception):  # noqa: N818 - a control-flow signal, caught by the console's handler
    """No live session: go to /login, then back to `next`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Refused(Exception):  # noqa: N818 - rendered as an error page by the console's handler
    """An action the console refuses, with the HTTP status and the message shown to the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Who:
    """The signed-in user of this request."""

    session: SignedIn

    @property
    def name(self) -> str:
        return self.session.user.name

    @property
    def role(self) -> str:
        return self.session.user.role

    @property
    def csrf(self) -> str:
        return self.session.csrf_token

    def can(self, right: Can | str) -> bool:
        return Can(right) in rights(self.role)

    @property
    def full(self) -> bool:
        return self.can(Can.FULL)


@dataclass(frozen=True, slots=True)
class Posted:
    """A POST that passed the session and CSRF checks: who sent it, and its form fields."""

    who: Who
    form: FormData

    def text(self, name: str, limit: int = 20000) -> str:
        value = self.form.get(name)
        text = value if isinstance(value, str) else ""
        if "\x00" in text or len(text) > limit:
            raise Refused(400, f"字段 {name} 的内容无效")
        return text


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.console
    return settings


def signed_in(request: Request) -> Who:
    """The request's live session; LoginRequired without one."""
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        with store_of(request).transaction() as repo:
            found = session_of(repo, token)
    if found is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(request.url.path + query if request.method == "GET" else "/")
    who = Who(found)
    request.state.who = who
    return who


def reader(right: Can) -> Callable[[Who], Who]:
    """A dependency for pages: signed in, holding `right`."""

    def check(who: Annotated[Who, Depends(signed_in)]) -> Who:
        if not who.can(right):
            raise Refused(403, REFUSED[right])
        return who

    return check


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site (Origin or Referer of another host)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return sent != "null"
    return urlsplit(sent).netloc == request.headers.get("host", "")


def csrf_matches(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


def poster(right: Can) -> Callable[..., Awaitable[Posted]]:
    """A dependency for POSTs: signed in, the session's CSRF token in the form, then holding `right`."""

    async def check(request: Request, who: Annotated[Who, Depends(signed_in)]) -> Posted:
        form = await request.form()
        if not same_origin(request) or not csrf_matches(form.get("csrf"), who.csrf):
            raise Refused(403, "表单校验失败（CSRF）：请刷新页面后重新提交")
        if not who.can(right):
            raise Refused(403, REFUSED[right])
        return Posted(who, form)

    return check


Reader = Annotated[Who, Depends(reader(Can.READ))]
Admin = Annotated[Who, Depends(reader(Can.ADMIN))]
AnyPost = Annotated[Posted, Depends(poster(Can.READ))]
DraftPost = Annotated[Posted, Depends(poster(Can.DRAFT))]
ApprovePost = Annotated[Posted, Depends(poster(Can.APPROVE))]
