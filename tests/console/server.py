"""The API with its web console on a free 127.0.0.1 port (uvicorn in a thread), console users per role, and a
Playwright page signed in as one of them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

from harvester.app.api.factory import create_app
from harvester.app.api.settings import ApiSettings
from harvester.app.console.settings import ConsoleSettings
from harvester.store.console_accounts import add_user
from harvester.store.db import Store
from tests.apiserver import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "tmp" / "artefacts" / "console"  # screenshots of each page (not committed)
PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password
# Users by name: their role. Two of each role that acts on replies, for the four-eyes rule.
USERS = {"viewer": "viewer", "drafter": "drafter", "drafter2": "drafter", "approver": "approver",
         "approver2": "approver", "admin": "admin"}
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def add_users(store: Store) -> None:
    with store.transaction() as repo:
        for name, role in USERS.items():
            add_user(repo, name, role, PASSWORD)


@dataclass(frozen=True)
class Console:
    url: str
    store: Store

    @contextmanager
    def client(self, user: str | None = None) -> Iterator[httpx.Client]:
        """An HTTP client, signed in as `user` through the sign-in form when given."""
        with httpx.Client(base_url=self.url, timeout=30, follow_redirects=False) as client:
            if user is not None:
                client.get("/login")
                answer = client.post("/login", data={"name": user, "password": PASSWORD,
                                                     "csrf": client.cookies["lyc_login"], "next": "/review"})
                assert answer.status_code == 303, answer.text
            yield client


def csrf_of(client: httpx.Client, path: str = "/review") -> str:
    """The session's CSRF token, as the console's forms carry it."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


@contextmanager
def console_server(store: Store, settings: ApiSettings | None = None, secure_cookies: bool = False
                   ) -> Iterator[Console]:
    app = create_app(store, settings)
    app.state.console = ConsoleSettings(secure_cookies=secure_cookies)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.02)
    try:
        yield Console(f"http://127.0.0.1:{port}", store)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def sign_in(page: Any, url: str, user: str, password: str = PASSWORD, then: str = "/ledger") -> None:
    """Sign in through the form as a person would, and wait for the page it leads to."""
    page.context.clear_cookies()  # a fresh browser: no earlier user's session
    page.goto(f"{url}/login?next={quote(then)}")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda now: now.startswith(url + then))


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
