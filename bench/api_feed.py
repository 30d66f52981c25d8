"""Benchmark: the HTTP API over a store of 10,000 letters: change-feed throughput to one long-polling consumer,
how soon a live consumer sees a commit, and read latency (message pages, one message, Open311).

Usage: python bench/api_feed.py [--letters 10000] [--db-url URL]   (default: a temporary SQLite file)
Synthetic letters (the builders' shape), a real uvicorn server on a free loopback port, rate limits off.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import uvicorn

from harvester.app.api.factory import create_app
from harvester.app.api.settings import ApiSettings
from harvester.schema import Message
from harvester.store.db import Store
from harvester.store.tokens import create_token
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind, Status, Topic

POSTED = datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI)


def letter(n: int, seen: datetime, status: Status = Status.PENDING) -> Message:
    return Message(platform="bench_demo" if n % 3 else "bench_other", external_id=str(100000 + n),
                   url=f"http://127.0.0.1/letter/{n}", board_id="mayor", addressee="市长信箱",
                   title=f"小区旁工地夜间施工噪音扰民（{n}）",
                   body="XX路工地每晚十一点后仍在施工，噪音很大，影响休息。" * 4,
                   status=status, status_raw="待回复" if status is Status.PENDING else "已回复",
                   posted_at=POSTED + timedelta(minutes=n), fetched_at=seen, kind=Kind.COMPLAIN, kind_raw="投诉",
                   topic=Topic.URBAN_CONSTRUCTION, topic_raw="城建", author="张**")


def seed(store: Store, letters: int) -> None:
    seen = datetime.now(SHANGHAI)
    with store.transaction() as repo:
        run = repo.start_run("bench_demo", os.getpid())
    for start in range(0, letters, 500):
        with store.transaction() as repo:
            repo.upsert_messages([letter(n, seen) for n in range(start, min(letters, start + 500))], run, seen)


def serve(store: Store) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, ApiSettings(rate_per_s=0)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def drain(client: httpx.Client, limit: int) -> tuple[int, float]:
    """Read the whole feed from seq 0 as a resuming consumer does; (events, seconds)."""
    since, events, started = 0, 0, time.perf_counter()
    while True:
        body = client.get("/changes", params={"since": since, "limit": limit}).json()
        if not body["events"]:
            return events, time.perf_counter() - started
        events += len(body["events"])
        since = body["next_since"]


def live_delay(client: httpx.Client, store: Store, rounds: int = 20) -> list[float]:
    """Seconds from a commit to a long-polling consumer holding the event."""
    since = drain_to_end(client)
    with store.transaction() as repo:
        run = repo.start_run("bench_demo", os.getpid())
    delays = []
    for n in range(rounds):
        committed: list[float] = []

        def write(n: int = n, committed: list[float] = committed) -> None:
            time.sleep(0.1)
            seen = datetime.now(SHANGHAI)
            with store.transaction() as repo:
                repo.upsert_messages([letter(900000 + n, seen)], run, seen)
            committed.append(time.perf_counter())

        writer = threading.Thread(target=write)
        writer.start()
        body = client.get("/changes", params={"since": since, "wait": 10}).json()
        got = time.perf_counter()
        writer.join()
        delays.append(max(0.0, got - committed[0]))
        since = body["next_since"]
    return delays


def drain_to_end(client: httpx.Client) -> int:
    since = 0
    while True:
        body = client.get("/changes", params={"since": since, "limit": 10000}).json()
        if not body["events"]:
            return since
        since = body["next_since"]


def latency(call: Callable[[int], httpx.Response], rounds: int = 200) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        call(i).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10000)
    parser.add_argument("--db-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.db_url or f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        seed(store, args.letters)
        print(f"store: {args.letters} letters seeded in {time.perf_counter() - started:.1f} s "
              f"({store.engine.url.get_backend_name()})")
        with store.transaction() as repo:
            secret = create_token(repo, "bench", ["read"])[1]
        server, url = serve(store)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as client:
            for limit in (100, 1000):
                events, seconds = drain(client, limit)
                print(f"feed drain, limit={limit}: {events} events in {seconds:.2f} s = {events / seconds:,.0f} "
                      "events/s to one consumer")
            delays = live_delay(client, store)
            print(f"live long-poll: commit -> consumer p50 {statistics.median(delays) * 1000:.0f} ms, "
                  f"max {max(delays) * 1000:.0f} ms over {len(delays)} commits (poll interval 250 ms)")
            for name, call in (
                    ("GET /messages?limit=50", lambda i: client.get("/messages", params={"limit": 50})),
                    ("GET /messages?platform&status&limit=50",
                     lambda i: client.get("/messages", params={"platform": "bench_demo", "status": "pending",
                                                               "limit": 50})),
                    ("GET /messages/{platform}/{id}",
                     lambda i: client.get(f"/messages/bench_demo/{100001 + 3 * ((i * 37) % (args.letters // 3 - 1))}")),
                    ("GET /open311/v2/requests.json (1000)",
                     lambda i: client.get("/open311/v2/requests.json",
                                          params={"start_date": "2026-10-20T00:00:00Z",
                                                  "end_date": "2027-01-01T00:00:00Z"}))):
                p50, p95 = latency(call, rounds=50 if "open311" in name else 200)
                print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        server.should_exit = True
        store.close()


if __name__ == "__main__":
    main()
