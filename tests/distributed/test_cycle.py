"""A cycle over dozens of replica platforms by three workers (distinct node names) on Redis and PostgreSQL,
enqueued twice, with Redis stopped and started again in the middle: every platform harvested exactly once, the
cycle completes when Redis is back, and `harvester enqueue` alerts while it is away. SQLite is refused."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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
from tests.localserver import PageHandler, served

pytestmark = pytest.mark.postgres
PLATFORMS = 24
WORKERS = ("alpha", "bravo", "charlie")


@contextmanager
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A generic alert webhook on loopback; yields its URL and the JSON bodies it received."""
    received: list[dict] = []

    class Receiver(PageHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.answer(b"{}", "application/json")

    with served(Receiver) as url:
        yield url, received


def test_a_cycle_enqueued_twice_through_a_redis_restart_harvests_every_platform_once_across_three_workers(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with fleet(tmp_path, PLATFORMS) as urls, webhook() as (hook, alerts):
        config = write_fleet_config(tmp_path, pg_url, urls, delay=0.1, concurrency=1,
                                    extra=f'[[alerts.webhooks]]\nurl = "{hook}/alert"\n')
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
        for name in WORKERS:
            workers.start(name, concurrency=1)  # three tasks at once: the others wait in Redis through its restart
        try:
            wait_for(lambda: any(r["outcome"] == "running" for r in all_runs(pg_url)), 90, "a harvest to run")
            broker.stop()
            wait_for(lambda: all("Connection to broker lost" in workers.log(n) or "Cannot connect" in workers.log(n)
                                 for n in WORKERS), 60, "the workers to lose the broker")
            away = cli(config, broker.url, "enqueue")
            assert away.returncode == 69, away.stdout + away.stderr
            assert "does not answer" in " ".join(away.stderr.split())
            assert any("does not answer" in json.dumps(body, ensure_ascii=False) for body in alerts), alerts
            broker.start()
            wait_for(lambda: _settled(pg_url, len(urls)), 150, "every platform harvested after Redis is back")
            wait_for(lambda: broker.client().llen("http") == 0 and not broker.client().hlen("unacked"), 60,
                     "the queue to drain")
        finally:
            workers.stop()
        runs = all_runs(pg_url)
        assert Counter(r["platform"] for r in runs) == {slug: 1 for slug in urls}  # once each, not twice
        assert {r["outcome"] for r in runs} == {"succeeded"}
        assert message_counts(pg_url)["messages"] == sum(r["new"] for r in runs) > 0
        busy = [name for name in WORKERS if "harvested ['fleet" in workers.log(name)]
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
