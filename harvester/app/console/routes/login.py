"""/login, /logout and /: signing in with a local account, and where a signed-in user lands."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from harvester.app.console.pages import render
from harvester.app.console.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    AnyPost,
    Refused,
    csrf_matches,
    same_origin,
    settings_of,
    store_of,
)
from harvester.store.console_accounts import check_login, end_session, session_of, start_session, user_exists
from harvester.store.console_audit import count_actions, record_action
from harvester.timeutil import utcnow

router = APIRouter(include_in_schema=False)
HOME = "/ledger"
MAX_FAILURES, LOCKOUT = 5, timedelta(minutes=15)  # failed sign-ins of one account before it is held, and for how long


def safe_next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect through the sign-in page."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\x00" in value:
        return HOME
    return value


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status, csrf=token, next=next_path, error=error)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=settings_of(request).secure_cookies)
    return response


@router.get("/")
def home() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with store_of(request).transaction() as repo:
            if session_of(repo, token) is not None:
                return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(request: Request, name: Annotated[str, Form(max_length=128)], password: Annotated[str, Form(max_length=1024)],
          csrf: Annotated[str, Form(max_length=128)] = "", next: Annotated[str, Form()] = HOME) -> Response:  # noqa: A002
    if not same_origin(request) or not csrf_matches(csrf, request.cookies.get(LOGIN_COOKIE, "")):
        raise Refused(403, "登录表单已失效（CSRF）：请刷新页面后重新登录")
    settings = settings_of(request)
    with store_of(request).transaction() as repo:
        if count_actions(repo, "login_failed", name.strip(), utcnow() - LOCKOUT) >= MAX_FAILURES:
            raise Refused(429, f"该账户登录失败次数过多，请 {LOCKOUT.seconds // 60} 分钟后再试")
        user = check_login(repo, name, password)
        if user is None:  # the name is recorded only when it is an account's (never a password typed there)
            record_action(repo, "-", "login_failed", name.strip() if user_exists(repo, name) else "")
        else:
            cookie, _session = start_session(repo, user, timedelta(hours=settings.session_hours))
            record_action(repo, user.name, "login", request.client.host if request.client else "")
    if user is None:
        return _login_page(request, safe_next(next), "用户名或密码错误，或账户已停用", status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(settings.session_hours * 3600), path="/", httponly=True,
                        samesite="lax", secure=settings.secure_cookies)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, posted: AnyPost) -> Response:
    with store_of(request).transaction() as repo:
        end_session(repo, request.cookies.get(SESSION_COOKIE, ""))
        record_action(repo, posted.who.name, "logout", "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
