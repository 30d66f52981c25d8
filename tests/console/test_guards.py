"""Every console page refuses a visitor without a session, and every form refuses a POST without its session's
CSRF token (or from another site): nothing changes in the store either way."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from harvester.app.console import PAGES as CONSOLE_PAGES
from harvester.app.replies.api import Outbox
from tests.console.server import Console, csrf_of

# GET pages ({reply} is a drafted reply's id) and the POSTs of their forms, with fields that would be accepted.
PAGES = ["/review", "/review/{reply}", "/review/new?platform=jact_demo&external_id=1001", "/ledger",
         "/ledger/jact_demo/1001", "/ledger/export.{fmt}", "/board",
         "/health", "/health/quarantine/1", "/report", "/audit"]
POSTS = {
    "/review/new": {"platform": "jact_demo", "external_id": "1001", "organisation": "市住建局", "account": "zjj",
                    "text": "伪造的答复"},
    "/review/{reply}/edit": {"text": "伪造的修改"},
    "/review/{reply}/approve": {"content_hash": "{hash}"},
    "/review/{reply}/reject": {"reason": "伪造的退回"},
    "/review/{reply}/cancel": {"reason": "伪造的撤销"},
    "/logout": {},
}
OPEN = {"/", "/login"}  # the sign-in page and the redirect to it


def test_every_console_route_is_listed_here() -> None:
    routes = {(method, r.path) for module in CONSOLE_PAGES for r in module.router.routes if isinstance(r, APIRoute)
              for method in r.methods}
    listed = {("GET", p.split("?")[0].replace("{reply}", "{reply_id}")) for p in PAGES
              if "jact_demo/1001" not in p and "quarantine/1" not in p} | {
        ("GET", "/ledger/{platform}/{external_id}"), ("GET", "/health/quarantine/{page_id}")} | {
        ("POST", p.replace("{reply}", "{reply_id}")) for p in POSTS} | {("GET", p) for p in OPEN} | {("POST", "/login")}
    assert routes == listed


def _state(console: Console) -> tuple[object, ...]:
    box = Outbox(console.store)
    return tuple((r.id, r.state, r.text, r.approved_by) for r in box.list_replies())


@pytest.fixture
def reply(console: Console) -> int:
    return Outbox(console.store).add("jact_demo", "1001", "您好，已处理。", "市住建局", "zjj", actor="drafter").id


def _fill(path: str, fields: dict[str, str], console: Console, reply: int) -> tuple[str, dict[str, str]]:
    content_hash = Outbox(console.store).get(reply).content_hash
    return path.replace("{reply}", str(reply)), {k: v.replace("{hash}", content_hash) for k, v in fields.items()}


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_redirects_to_the_sign_in(console: Console, reply: int, path: str) -> None:
    with console.client() as client:
        answer = client.get(path.replace("{reply}", str(reply)).replace("{fmt}", "csv"))
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/")


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_a_session_changes_nothing(console: Console, reply: int, path: str) -> None:
    before = _state(console)
    target, fields = _fill(path, POSTS[path], console, reply)
    with console.client() as client:
        answer = client.post(target, data=fields | {"csrf": "whatever"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert _state(console) == before


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("forgery", ["no token", "wrong token", "other site"])
def test_a_post_without_the_sessions_csrf_token_is_refused(console: Console, reply: int, path: str,
                                                            forgery: str) -> None:
    before = _state(console)
    target, fields = _fill(path, POSTS[path], console, reply)
    with console.client("admin") as client:  # admin may do everything: only the token is missing
        token = csrf_of(client)
        sent = {"no token": fields, "wrong token": fields | {"csrf": token[:-2] + "xx"},
                "other site": fields | {"csrf": token}}[forgery]
        headers = {"Origin": "http://evil.example"} if forgery == "other site" else {}
        answer = client.post(target, data=sent, headers=headers)
        assert answer.status_code == 403 and "CSRF" in answer.text
        assert client.get("/review").status_code == 200  # still signed in: /logout did not happen either
    assert _state(console) == before
