"""A cycle over dozens of replica platforms by three workers (distinct node names) on Redis and PostgreSQL:
every platform harvested exactly once, also when the cycle is enqueued twice; SQLite is refused."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.distributed.cluster import (
    RedisServer,
    Workers,
    all_runs,
    cli,
    fleet,
    message_counts,
    wait_for,
    write_fleet_config,
)

pytestmark = pytest.mark.postgres
PLATFORMS = 24


def test_a_cycle_enqueued_twice_harvests_every_platform_once_across_three_workers(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with fleet(tmp_path, PLATFORMS) as urls:
        config = write_fleet_config(tmp_path, pg_url, urls)
        first = cli(config, broker.url, "enqueue", "--json")
        assert first.returncode == 0, first.stderr[-3000:]
        sent = json.loads(first.stdout)
        assert sorted(slug for task in sent["tasks"] for slug in task["platforms"]) == sorted(urls)
        assert {len(task["platforms"]) for task in sent["tasks"]} == {4}
        second = cli(config, broker.url, "enqueue")  # cron firing twice, or cron and beat: harmless
        assert second.returncode == 0, second.stderr[-3000:]

        queued = cli(config, broker.url, "queue", "--json")
        assert queued.returncode == 0, queued.stderr[-3000:]
        entries = [json.loads(line) for line in queued.stdout.splitlines()]
        queued_platforms = Counter(e["platform"] for e in entries if e["state"] == "queued")
        assert queued_platforms == {slug: 2 for slug in urls} | {"(harvester.monitors)": 2}

        workers = Workers(config, broker.url, tmp_path / "workers")
        for name in ("alpha", "bravo", "charlie"):
            workers.start(name)
        try:
            wait_for(lambda: _settled(pg_url, len(urls)), 150, "every platform to be harvested")
            wait_for(lambda: broker.client().llen("http") == 0 and not broker.client().hlen("unacked"), 60,
                     "the queue to drain")
        finally:
            workers.stop()
        runs = all_runs(pg_url)
        assert Counter(r["platform"] for r in runs) == {slug: 1 for slug in urls}  # once each, not twice
        assert {r["outcome"] for r in runs} == {"succeeded"}
        assert message_counts(pg_url)["messages"] == sum(r["new"] for r in runs) > 0
        busy = [name for name in ("alpha", "bravo", "charlie") if "harvested ['fleet" in workers.log(name)]
        assert len(busy) >= 2, "one worker did all the work"


def _settled(db_url: str, platforms: int) -> bool:
    runs = all_runs(db_url)
    return len({r["platform"] for r in runs if r["outcome"] == "succeeded"}) == platforms and \
        not any(r["outcome"] == "running" for r in runs)


def test_sqlite_store_is_refused_with_the_reason(tmp_path: Path, broker: RedisServer) -> None:
    config = write_fleet_config(tmp_path, f"sqlite:///{tmp_path / 'store.db'}", {"fleet_001": "http://127.0.0.2:9"})
    for command in (["enqueue"], ["queue"], ["worker"]):
        result = cli(config, broker.url, *command)
        assert result.returncode == 2, result.stdout + result.stderr
        said = " ".join(result.stderr.split())
        assert "distributed mode needs a PostgreSQL store" in said and "db_url is sqlite" in said
    assert broker.client().llen("http") == 0
