# ruff: noqa: F811 - pytest fixtures imported by name
"""Webhooks over real sockets (SQLite and PostgreSQL): signed deliveries, a receiver that fails and then
recovers gets every event, and a receiver that stays down is declared dead, alerted, and resumed later."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harvester.app.api.commands import dead_webhook_alerter
from harvester.app.api.settings import ApiSettings
from harvester.app.api.webhooks import DeliveryPolicy, signature
from harvester.config import load_config
from harvester.store.db import Store
from harvester.store.webhooks import Subscription
from tests.apiserver import ApiServer, api_server
from tests.integration.api_fixtures import db_url, store  # noqa: F401
from tests.store.builders import later, letter, store_batch

FAST = ApiSettings(webhooks=DeliveryPolicy(interval_s=0.05, batch=4, backoff_initial_s=0.05, backoff_max_s=0.2,
                                           dead_after=4))


class Receiver:
    """Records deliveries; answers 500 while `failing(n)` says so for the n-th request."""

    def __init__(self, failing: Callable[[int], bool]) -> None:
        self.failing, self.requests, self.accepted = failing, 0, []  # type: list[dict[str, Any]]
        self.lock = threading.Lock()


@contextmanager
def receiving(receiver: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests += 1
                fail = receiver.failing(receiver.requests)
                if not fail:
                    receiver.accepted.append({"body": body, "stamp": self.headers["X-Harvester-Timestamp"],
                                              "signature": self.headers["X-Harvester-Signature"]})
            self.send_response(500 if fail else 204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        thread.join()


def _seed(store: Store, ids: range) -> None:
    with store.transaction() as repo:
        run = repo.start_run("jact_demo", os.getpid())
    store_batch(store, [letter(str(i)) for i in ids], run, seen_at=later(ids.start))


def _subscribe(api: ApiServer, name: str, url: str) -> dict[str, Any]:
    with api.client("admin") as admin:
        answer = admin.post("/webhooks", json={"name": name, "url": url})
    assert answer.status_code == 201
    return dict(answer.json())


def _seqs(receiver: Receiver, secret: str) -> list[int]:
    seqs = []
    for delivery in receiver.accepted:
        assert delivery["signature"] == signature(secret, delivery["stamp"], delivery["body"])
        seqs += [event["seq"] for event in json.loads(delivery["body"])["events"]]
    return seqs


def _wait(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_receiver_that_fails_then_recovers_gets_every_event(store: Store) -> None:
    _seed(store, range(100, 110))
    receiver = Receiver(failing=lambda n: n <= 3)
    with receiving(receiver) as url, api_server(store, FAST, deliveries=True) as api:
        sub = _subscribe(api, "oa", url)
        _seed(store, range(200, 210))  # more events while deliveries run
        with store.transaction() as repo:
            wanted = [e["seq"] for e in repo.events_since(0, limit=1000)]
        _wait(lambda: set(_seqs(receiver, sub["secret"])) >= set(wanted))
        with api.client("admin") as admin:
            _wait(lambda: admin.get("/webhooks").json()[0]["acked_seq"] == wanted[-1])
            [listed] = admin.get("/webhooks").json()
    assert receiver.requests > len(receiver.accepted)  # some deliveries did fail
    assert sorted(set(_seqs(receiver, sub["secret"]))) == wanted and len(wanted) == 20
    assert listed["failures"] == 0 and listed["dead_since"] is None and "secret" not in listed


def test_a_dead_receiver_is_alerted_and_resumed_without_loss(store: Store) -> None:
    _seed(store, range(100, 106))
    down = {"yes": True}
    receiver = Receiver(failing=lambda _: down["yes"])
    dead: list[Subscription] = []
    with receiving(receiver) as url, api_server(store, FAST, on_dead=lambda s, _e: dead.append(s),
                                                deliveries=True) as api:
        sub = _subscribe(api, "oa", url)
        _wait(lambda: len(dead) == 1)
        with api.client("admin") as admin:
            assert admin.get("/webhooks").json()[0]["dead_since"] is not None
            time.sleep(0.3)
            assert receiver.requests == FAST.webhooks.dead_after  # nothing more is tried while dead
            down["yes"] = False
            assert admin.post(f"/webhooks/{sub['id']}/resume").status_code == 200
        _wait(lambda: len(set(_seqs(receiver, sub["secret"]))) == 6)
    assert dead[0].name == "oa" and len(dead) == 1


def test_webhooks_need_the_admin_scope(store: Store) -> None:
    with api_server(store) as api, api.client("read") as reader:
        assert reader.get("/webhooks").status_code == 403
        assert reader.post("/webhooks", json={"name": "x", "url": "http://127.0.0.1:9/"}).status_code == 403


def test_serve_tells_the_operators_of_a_dead_subscriber_through_alerts(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(failing=lambda _: False)
    with receiving(receiver) as alert_url:
        monkeypatch.setenv("HARVESTER_ALERT_WEBHOOK_URL", alert_url)
        on_dead = dead_webhook_alerter(load_config(cwd=tmp_path))
        on_dead(Subscription(7, "oa", "http://127.0.0.1:9/hook", 42, 10, None, "HTTP 500", None, None), "HTTP 500")
    [alert] = [json.loads(a["body"]) for a in receiver.accepted]
    assert alert["severity"] == "critical" and "webhook oa is dead" in alert["title"]
    assert "seq 42" in alert["text"] and "/webhooks/7/resume" in alert["text"]
