"""A worker killed with SIGKILL mid-harvest: its tasks go back to the queue when the visibility timeout passes,
another worker finishes them, and the store holds every public letter once (nothing lost, nothing twice)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from tests.distributed.cluster import RedisServer, Workers, all_runs, cli, fleet, wait_for, write_fleet_config
from tests.replicahost import control

pytestmark = pytest.mark.postgres
PLATFORMS = 8


def _messages_per_platform(db_url: str) -> Counter[str]:
    from harvester.store.db import Store

    with Store.open(db_url) as store, store.transaction() as repo:
        return Counter(record["platform"] for record in repo.iter_messages())


def _created_events(db_url: str) -> int:
    from harvester.store.db import Store

    with Store.open(db_url) as store, store.transaction() as repo:
        return sum(1 for event in repo.events_since(0, limit=100_000) if event["kind"] == "created")


def test_a_worker_killed_mid_harvest_has_its_tasks_redelivered_and_finished(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with fleet(tmp_path, PLATFORMS, letters=16, latency_ms=20) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls, delay=0.2, concurrency=1)  # a harvest lasts seconds
        workers = Workers(config, broker.url, tmp_path / "workers", HARVESTER_VISIBILITY_TIMEOUT="15")
        doomed = workers.start("doomed")
        try:
            sent = cli(config, broker.url, "enqueue")
            assert sent.returncode == 0, sent.stderr[-3000:]
            wait_for(lambda: sum(r["outcome"] == "running" for r in all_runs(pg_url)) >= 2, 90,
                     "the doomed worker's harvests to be running")
            held = _children(doomed.pid)
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait()
            wait_for(lambda: not any(_alive(pid) for pid in held), 30, "the killed worker's harvests to die with it")
            killed = [r["platform"] for r in all_runs(pg_url) if r["outcome"] == "running"]
            assert killed, "every harvest had ended before the kill"
            for name in ("alpha", "bravo"):
                workers.start(name)
            wait_for(lambda: _succeeded(pg_url) == set(urls), 150, "every platform, the killed ones too, harvested")
        finally:
            workers.stop()
        runs = all_runs(pg_url)
        assert Counter(r["platform"] for r in runs if r["outcome"] == "succeeded") == {slug: 1 for slug in urls}
        assert {r["platform"] for r in runs if r["outcome"] == "abandoned"} == set(killed)  # the killed ones, said
        assert not [r for r in runs if r["outcome"] in ("running", "failed")]
        stored = _messages_per_platform(pg_url)
        assert stored == {slug: control(url, "stats")["public"] for slug, url in urls.items()}  # nothing lost
        assert _created_events(pg_url) == sum(stored.values())  # nothing stored twice


def _succeeded(db_url: str) -> set[str]:
    return {r["platform"] for r in all_runs(db_url) if r["outcome"] == "succeeded"}


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (pool processes and their harvest children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            found += [int(c) for c in children]
            todo += [int(c) for c in children]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
