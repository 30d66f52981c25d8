# ruff: noqa: F811 - pytest fixtures imported by name
"""The change feed over HTTP: long-polling, the CLI's events, and a consumer killed mid-way losing and repeating
nothing while harvests keep writing (real server on loopback, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import event

from harvester.store.db import Store
from harvester.vocab import Status
from tests.apiserver import ApiServer
from tests.integration.api_fixtures import api, db_url, store  # noqa: F401
from tests.store.builders import later, letter, store_batch

ROOT = Path(__file__).parent.parent.parent


def _run(store: Store) -> int:
    with store.transaction() as repo:
        return repo.start_run("jact_demo", os.getpid())


def test_long_poll_returns_as_soon_as_an_event_is_committed(store: Store, api: ApiServer) -> None:
    run = _run(store)
    with api.client("read") as reader:
        started = time.monotonic()
        assert reader.get("/changes", params={"wait": 1}).json() == {"events": [], "next_since": 0}
        assert time.monotonic() - started >= 0.9
        timer = threading.Timer(1.0, store_batch, (store, [letter("2001")], run))
        timer.start()
        started = time.monotonic()
        body = reader.get("/changes", params={"since": 0, "wait": 20}).json()
        elapsed = time.monotonic() - started
        timer.join()
    assert [e["kind"] for e in body["events"]] == ["created"] and body["next_since"] == body["events"][0]["seq"]
    assert 0.8 <= elapsed < 5


def test_events_are_exactly_those_harvester_changes_prints(store: Store, api: ApiServer, db_url: str) -> None:
    run = _run(store)
    store_batch(store, [letter("2001"), letter("2002")], run)
    store_batch(store, [letter("2001", status=Status.REPLIED, status_raw="已回复")], run, seen_at=later(1))
    printed = subprocess.run([sys.executable, "-m", "harvester", "changes", "--since", "0"], cwd=ROOT, check=True,
                             capture_output=True, text=True, env={**os.environ, "HARVESTER_DB_URL": db_url}).stdout
    with api.client("read") as reader:
        served = reader.get("/changes", params={"since": 0}).json()["events"]
        tail = reader.get("/changes", params={"since": served[0]["seq"], "limit": 1}).json()
    assert served == [json.loads(line) for line in printed.splitlines()] and len(served) == 3
    assert tail["events"] == served[1:2] and tail["next_since"] == served[1]["seq"]


def _harvest_while_consumed(store: Store, done: Path) -> None:
    run = _run(store)
    for batch in range(25):
        ids = [f"{3000 + batch * 4 + i}" for i in range(4)]
        store_batch(store, [letter(i) for i in ids], run, seen_at=later(batch))
        store_batch(store, [letter(ids[0], status=Status.REPLIED, status_raw="已回复")], run,
                    seen_at=later(batch + 0.5))
        time.sleep(0.05)
    done.touch()


def _consumer(api: ApiServer, out: Path, done: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.feedconsumer", api.url, api.tokens["read"], str(out),
                             str(done)], cwd=ROOT)


def _lines(out: Path) -> int:
    return out.read_bytes().count(b"\n") if out.exists() else 0


def test_a_consumer_killed_mid_way_resumes_without_loss_or_repeat(store: Store, api: ApiServer,
                                                                   tmp_path: Path) -> None:
    out, done = tmp_path / "consumed.jsonl", tmp_path / "harvest.done"
    writer = threading.Thread(target=_harvest_while_consumed, args=(store, done))
    writer.start()
    kills = 0
    for at_least in (15, 50):
        consumer = _consumer(api, out, done)
        deadline = time.monotonic() + 60
        while _lines(out) < at_least and time.monotonic() < deadline and consumer.poll() is None:
            time.sleep(0.01)
        if consumer.poll() is None:
            consumer.send_signal(signal.SIGKILL)
            kills += 1
        consumer.wait()
    writer.join()
    _consumer(api, out, done).wait(timeout=120)
    with store.transaction() as repo:
        stored = repo.events_since(0, limit=100000)
    consumed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert kills >= 1
    assert [e["seq"] for e in consumed] == [e["seq"] for e in stored]  # nothing lost, nothing twice, in order
    assert consumed == stored and len(stored) == 125


def test_waiting_consumers_share_one_look_at_the_feed(store: Store, api: ApiServer) -> None:
    transactions = []
    event.listen(store.engine, "begin", lambda _connection: transactions.append(1))
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: api.client("read").get("/changes", params={"wait": 1.5}).json(),
                                range(20)))
    assert all(answer["events"] == [] for answer in answers)
    # 20 authentications and 20 first reads, then one look per 250 ms for all of them (not 20 x 6)
    assert len(transactions) < 20 + 20 + 15
