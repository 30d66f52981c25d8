"""The HTTP API on a free 127.0.0.1 port, served by uvicorn in a thread, with tokens for each scope."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from harvester.app.api.factory import create_app
from harvester.app.api.settings import ApiSettings
from harvester.app.api.webhooks import OnDead
from harvester.store.db import Store
from harvester.store.tokens import SCOPES, create_token


@dataclass(frozen=True)
class ApiServer:
    """A running API: its base URL, and a token secret per scope name (plus "none": a token of no use here)."""

    url: str
    tokens: dict[str, str]

    def client(self, scope: str | None, timeout: float = 30) -> httpx.Client:
        """A client sending the token of `scope` (none when `scope` is None)."""
        headers = {"Authorization": f"Bearer {self.tokens[scope]}"} if scope else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_tokens(store: Store) -> dict[str, str]:
    """One token per scope, named after it; "drafter2" holds replies:draft too, "both" drafts and approves."""
    tokens = {}
    with store.transaction() as repo:
        for scope in SCOPES:
            tokens[scope] = create_token(repo, scope, [scope])[1]
        tokens["drafter2"] = create_token(repo, "drafter2", ["replies:draft"])[1]
        tokens["both"] = create_token(repo, "both", ["replies:draft", "replies:approve"])[1]
    return tokens


@contextmanager
def api_server(store: Store, settings: ApiSettings | None = None, on_dead: OnDead | None = None,
               deliveries: bool = False) -> Iterator[ApiServer]:
    """Serve the API over `store` until the block ends; webhook deliveries run only with `deliveries`."""
    tokens = make_tokens(store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, settings, on_dead), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on" if deliveries else "off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield ApiServer(f"http://127.0.0.1:{port}", tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
