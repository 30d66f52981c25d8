"""Signing in to the console: local accounts, sessions in HttpOnly cookies, sign-out, disabled users."""

from __future__ import annotations

from typing import Any

import pytest

from harvester.store.console_accounts import disable_user, set_password
from harvester.store.console_audit import audit_entries
from tests.console.server import PASSWORD, Console, console_server, csrf_of, screenshot, sign_in


@pytest.mark.browser
def test_a_page_without_a_session_leads_to_the_sign_in_and_back(console: Console, page: Any) -> None:
    page.goto(f"{console.url}/review?state=all")
    page.wait_for_url(f"{console.url}/login?next=**")
    screenshot(page, "login")
    page.fill("input[name=name]", "approver")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}/review?state=all")
    assert page.inner_text("#who") == "approver（审核）"
    cookie = next(c for c in page.context.cookies() if c["name"] == "lyc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]


@pytest.mark.browser
def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(console: Console, page: Any) -> None:
    page.goto(f"{console.url}/login")
    page.fill("input[name=name]", "approver")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.inner_text("p.error") == "用户名或密码错误，或账户已停用"
    assert not [c for c in page.context.cookies() if c["name"] == "lyc_session"]
    page.goto(f"{console.url}/review")
    assert page.url.startswith(f"{console.url}/login")


@pytest.mark.browser
def test_signing_out_ends_the_session_for_good(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/review")
    cookie = next(c for c in page.context.cookies() if c["name"] == "lyc_session")
    page.click("form.who button")
    page.wait_for_url(f"{console.url}/login")
    with console.client() as client:  # the old cookie, replayed
        client.cookies.set("lyc_session", cookie["value"])
        assert client.get("/review").headers["location"].startswith("/login")


def test_disabling_a_user_or_changing_a_password_ends_their_sessions(console: Console) -> None:
    with console.client("drafter") as drafter, console.client("viewer") as viewer:
        assert drafter.get("/review").status_code == 200 and viewer.get("/review").status_code == 200
        with console.store.transaction() as repo:
            disable_user(repo, "drafter")
            set_password(repo, "viewer", "a brand new password")
        assert drafter.get("/review").status_code == 303
        assert viewer.get("/review").status_code == 303
    with console.client() as client:
        form = client.get("/login")
        token = client.cookies["lyc_login"]
        refused = client.post("/login", data={"name": "drafter", "password": PASSWORD, "csrf": token})
        assert refused.status_code == 401 and "lyc_session" not in refused.headers.get("set-cookie", "")
        assert form.status_code == 200


def test_the_sign_in_form_needs_its_csrf_token_and_the_same_origin(console: Console) -> None:
    with console.client() as client:
        client.get("/login")
        token = client.cookies["lyc_login"]
        forged = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        cross = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": token},
                            headers={"Origin": "http://evil.example"})
        assert cross.status_code == 403
        ok = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": token})
        assert ok.status_code == 303 and ok.headers["location"] == "/ledger"


def test_the_next_page_after_sign_in_stays_on_this_site(console: Console) -> None:
    with console.client() as client:
        client.get("/login")
        answer = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": client.cookies["lyc_login"],
                                             "next": "//evil.example/x"})
        assert answer.headers["location"] == "/ledger"


def test_the_session_cookie_is_secure_unless_switched_off_and_sign_ins_are_audited(console: Console) -> None:
    with console_server(console.store, secure_cookies=True) as secure, secure.client() as client:
        form = client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        token = form.cookies["lyc_login"]  # a browser would not send a Secure cookie over http: we do, by hand
        answer = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": token},
                             headers={"Cookie": f"lyc_login={token}"})
        cookie = answer.headers["set-cookie"].lower()
        assert "lyc_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    with console.client() as plain:
        plain.get("/login")
        answer = plain.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": plain.cookies["lyc_login"]})
        assert "lyc_session=" in answer.headers["set-cookie"] and "secure" not in answer.headers["set-cookie"].lower()
    with console.store.transaction() as repo:
        assert [e.actor for e in audit_entries(repo, action="login")] == ["admin", "admin"]


def test_the_session_csrf_token_differs_per_session(console: Console) -> None:
    with console.client("admin") as one, console.client("admin") as two:
        assert csrf_of(one) != csrf_of(two)


def test_only_an_admin_reads_the_audit_log(console: Console) -> None:
    with console.client("viewer") as viewer, console.client("admin") as admin:
        refused = viewer.get("/audit")
        assert refused.status_code == 403 and "仅管理员可查看" in refused.text
        log = admin.get("/audit?action=login")
        assert log.status_code == 200 and log.text.count("<td>登录</td>") == 2  # the viewer's and the admin's


def test_an_account_is_held_after_five_failed_sign_ins(console: Console) -> None:
    with console.client() as client:
        client.get("/login")
        for _ in range(5):  # each refusal renders the form again, with a fresh token
            assert client.post("/login", data={"name": "approver", "password": "guess guess",
                                               "csrf": client.cookies["lyc_login"]}).status_code == 401
        token = client.cookies["lyc_login"]
        held = client.post("/login", data={"name": "approver", "password": PASSWORD, "csrf": token})
        assert held.status_code == 429 and "登录失败次数过多" in held.text
        other = client.post("/login", data={"name": "viewer", "password": PASSWORD, "csrf": token})
        assert other.status_code == 303  # other accounts are not held
    with console.store.transaction() as repo:
        failed = audit_entries(repo, action="login_failed")
    assert [e.target for e in failed] == ["approver"] * 5 and all("guess" not in (e.detail or "") for e in failed)
