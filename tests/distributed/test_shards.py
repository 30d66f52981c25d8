"""Board shards end to end. A large People's Daily platform harvested as shards by two workers: enqueued twice,
every shard harvested once under its own run, every message stored once, and the site (behind a proxy that tells
harvests apart by their WAF cookie) sees at most one harvest per shard at once while shards run side by side. A
Discuz forum's shard, through a task's child process: only its boards read, cursors and run its own; a shard
that cannot reach its site is a failed run of that shard with its failure class."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from harvester.store.db import Store
from tests.distributed.cluster import RedisServer, Workers, all_runs, cluster_env, wait_for
from tests.harvesting import ROOT, harvester_env
from tests.localserver import serve_locally
from tests.replicahost import control, replica_process

SLUG = "people_big"
# The replica's eight boards, as a province's definition lists them; three per shard: shards 1/3, 2/3, 3/3.
BOARDS = (("559", "浙江省委书记"), ("1007", "杭州市市长"), ("4523", "淳安县委书记"), ("5050", "国家卫生健康委员会"),
          ("560", "浙江省省长"), ("1008", "宁波市市长"), ("4187", "余姚市委书记"), ("585", "贵州省委书记"))
SHARD_FIRST_BOARD = {"559": "1/3", "1007": "2/3", "4523": "3/3"}  # a shard's shell page names its first board
LATENCY_S = 0.15  # per answer: each shard's harvest lasts seconds, long enough for two to overlap
COOKIE = "__jsluid_s"
HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "content-encoding"}


def definition(base_url: str) -> str:
    boards = "".join(f'\n[[boards]]\nid = "{fid}"\naddressee = "{who}"\n' for fid, who in BOARDS)
    return (f'slug = "{SLUG}"\nname = "人民网 领导留言板（分片测试）"\nfamily = "people"\nbase_url = "{base_url}"\n'
            f"download_delay = 0\nconcurrency = 1\n{boards}\n[options]\nministry_boards = [\"5050\"]\n"
            "browser_fallback = false\nrows = 10\n")


class SessionWatch:
    """A proxy in front of the replica: each harvest gets its own WAF cookie from its first shell page, so the
    cookie tells harvests apart; records per cookie the board its first shell named and when it was busy."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.first_board: dict[str, str] = {}
        self.busy: dict[str, list[float]] = defaultdict(list)  # cookie -> [first request, last answer]
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> str:
        self.client = aiohttp.ClientSession()
        self.runner, url = await serve_locally(self._forward)
        return url

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        await asyncio.sleep(LATENCY_S)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with self.client.request(request.method, self.upstream + request.path_qs, headers=headers,
                                       data=await request.read(), allow_redirects=False) as answer:
            body = await answer.read()
            kept = CIMultiDict((k, v) for k, v in answer.headers.items() if k.lower() not in HOP)
            issued = answer.cookies.get(COOKIE)
        session = request.cookies.get(COOKIE) or (issued.value if issued else None)
        if session is not None:
            if session not in self.first_board and request.path == "/threads/list":
                self.first_board[session] = parse_qs(urlsplit(str(request.url)).query).get("fid", ["?"])[0]
            span = self.busy[session]
            span[:] = [span[0] if span else started, time.monotonic()]
        return web.Response(status=answer.status, body=body, headers=kept)

    def most_at_once(self, sessions: list[str]) -> int:
        """The most of `sessions` busy at one moment."""
        edges = sorted([(self.busy[s][0], 1) for s in sessions] + [(self.busy[s][1], -1) for s in sessions])
        level = peak = 0
        for _, step in edges:
            level += step
            peak = max(peak, level)
        return peak

    def close(self) -> None:
        async def stop() -> None:
            await self.client.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def enqueue(config: Path, broker_url: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", "harvester", "enqueue", "--json"], cwd=ROOT, text=True,
                            capture_output=True, timeout=120,
                            env=cluster_env(config, broker_url, HARVESTER_DISTRIBUTED_SHARD_BOARDS="3"))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def stored(db_url: str) -> list[dict[str, Any]]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return list(repo.iter_messages(platform=SLUG))


def created_events(db_url: str) -> list[str]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return [e["external_id"] for e in repo.events_since(0, limit=100_000) if e["kind"] == "created"]


@pytest.mark.postgres
def test_a_large_platform_is_harvested_as_shards_by_two_workers_each_shard_once(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    options = {"people": {"boards": len(BOARDS), "per_board": 12, "rate_per_s": 0}}
    with replica_process(tmp_path, ["people"], options=options) as urls:
        watch = SessionWatch(urls["people"])
        platforms = tmp_path / "platforms"
        platforms.mkdir()
        (platforms / f"{SLUG}.toml").write_text(definition(watch.url), encoding="utf-8")
        config = tmp_path / "harvester.toml"
        config.write_text(f"db_url = {json.dumps(pg_url)}\nstate_dir = {json.dumps(str(tmp_path / 'state'))}\n"
                          f"platforms_dirs = [{json.dumps(str(platforms))}]\nenabled = [\"{SLUG}\"]\n",
                          encoding="utf-8")
        workers = Workers(config, broker.url, tmp_path / "workers", HARVESTER_DISTRIBUTED_SHARD_BOARDS="3")
        try:
            sent = [enqueue(config, broker.url) for _ in range(2)]  # cron and beat both firing: harmless
            for name in ("alpha", "bravo"):
                workers.start(name, concurrency=1, queues="http,browser")
            wait_for(lambda: sum(r["outcome"] != "running" for r in all_runs(pg_url)) >= 3, 240,
                     "the three shards' runs to end")
            time.sleep(5)  # the second enqueue's tasks (and any busy retry) come after: they must harvest nothing
            truth = {str(m["tid"]) for m in control(urls["people"], "people/messages")}
        finally:
            workers.stop()
            watch.close()
    shards = [f"{SLUG}#1/3", f"{SLUG}#2/3", f"{SLUG}#3/3"]
    assert [sorted(batch for task in s["tasks"] for batch in task["platforms"]) for s in sent] == [shards, shards]
    runs = all_runs(pg_url)
    assert sorted((r["platform"], r["shard"], r["outcome"]) for r in runs) == [
        (SLUG, "1/3", "succeeded"), (SLUG, "2/3", "succeeded"), (SLUG, "3/3", "succeeded")], runs
    assert len(truth) == 8 * 12
    messages = stored(pg_url)
    assert sorted(m["external_id"] for m in messages) == sorted(truth)
    assert sorted(created_events(pg_url)) == sorted(truth)  # each once
    owner = {fid: f"{index % 3 + 1}/3" for index, (fid, _) in enumerate(BOARDS)}  # round robin
    shard_of_run = {run["id"]: run["shard"] for run in runs}
    assert {(m["board_id"], shard_of_run[m["first_run_id"]]) for m in messages} == set(owner.items())
    sessions_of: dict[str, list[str]] = defaultdict(list)
    for session, board in watch.first_board.items():
        sessions_of[SHARD_FIRST_BOARD.get(board, f"? first board {board}")].append(session)
    assert sorted(sessions_of) == ["1/3", "2/3", "3/3"]
    assert all(watch.most_at_once(found) == 1 for found in sessions_of.values()), dict(sessions_of)
    assert watch.most_at_once(list(watch.first_board)) == 2, "no two shards ran at once: the test proved little"
    logs = {name: workers.log(name) for name in ("alpha", "bravo")}
    assert all(f"harvested ['{SLUG}#" in log for log in logs.values()), "one worker took every shard"


DISCUZ = "discuz_big"
FORUMS = ("27", "36", "50", "51")  # dealt into two shards: 1/2 reads 27 and 50, 2/2 reads 36 and 51
SITE_BOARDS = "27,36,50:问政三区:wenzheng,51:问政四区:wenzheng"  # 网络问政-like boards, whose labels the family knows


def discuz_config(tmp_path: Path, base_url: str) -> tuple[Path, str]:
    platforms = tmp_path / "platforms"
    platforms.mkdir(exist_ok=True)
    boards = "".join(f'\n[[boards]]\nid = "{fid}"\naddressee = "版块{fid}"\n' for fid in FORUMS)
    (platforms / f"{DISCUZ}.toml").write_text(
        f'slug = "{DISCUZ}"\nname = "绵州论坛（分片测试）"\nfamily = "discuz"\nbase_url = "{base_url}"\n'
        f'concurrency = 4\n{boards}\n[options]\nurl_style = "rewrite"\nposts_per_page = 10\n', encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    config = tmp_path / "harvester.toml"
    config.write_text(f"db_url = {json.dumps(db_url)}\nstate_dir = {json.dumps(str(tmp_path / 'state'))}\n"
                      f"platforms_dirs = [{json.dumps(str(platforms))}]\nenabled = [\"{DISCUZ}\"]\n",
                      encoding="utf-8")
    return config, db_url


def harvest_shard(tmp_path: Path, config: Path, target: str) -> list[dict[str, Any]]:
    """A harvest task's child process over one shard; the outcomes it wrote."""
    out = tmp_path / "outcomes.json"
    since = "2000-01-01T00:00:00+00:00"
    subprocess.run([sys.executable, "-m", "harvester.app.distributed.child", str(out), since, target], cwd=ROOT,
                   env=harvester_env(config), check=True, timeout=180, capture_output=True)
    return list(json.loads(out.read_text(encoding="utf-8")))


def test_a_discuz_shard_reads_only_its_boards_and_an_unreachable_one_fails_as_its_shard(tmp_path: Path) -> None:
    site = {"threads_per_board": 6, "boards": SITE_BOARDS, "tpp": 10}
    with replica_process(tmp_path, ["discuz"], options={"discuz": site}) as urls:
        config, db_url = discuz_config(tmp_path, urls["discuz"])
        outcome = harvest_shard(tmp_path, config, f"{DISCUZ}#2/2")
    unreachable = harvest_shard(tmp_path, config, f"{DISCUZ}#1/2")  # the site is gone
    with Store.open(db_url) as store, store.transaction() as repo:
        runs = {run["id"]: run for run in repo.latest_runs(platform=DISCUZ)}
        boards = {m["board_id"] for m in repo.iter_messages(platform=DISCUZ)}
        cursors = {fid for fid in FORUMS if repo.get_cursor(DISCUZ, fid)}
    harvested = runs[outcome[0]["run_id"]]
    assert (harvested["shard"], harvested["outcome"]) == ("2/2", "succeeded") and harvested["items"] > 0
    assert boards == {"36", "51"} and cursors == {"36", "51"}
    failed = runs[unreachable[0]["run_id"]]
    assert (failed["shard"], failed["outcome"], failed["failure_class"]) == ("1/2", "failed", "network")
