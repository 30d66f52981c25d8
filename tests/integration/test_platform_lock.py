"""Two harvests of one platform at once (two processes, any command): the second refuses with a clear message
and never harvests beside the first, on SQLite and on PostgreSQL (the lock lives with the store)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from harvester.store.db import Store
from harvester.store.platformlock import BUSY_EXIT, PlatformLock
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.replicahost import replica_process
from tests.store.conftest import database

SLUG = "jact_demo"
# Slow enough that the first harvest is still crawling when the second one has started up.
SLOW = {SLUG: {"download_delay": 0.3}}



def runs(db_url: str) -> list[dict]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return repo.latest_runs(limit=20, platform=SLUG)


def wait_until_running(db_url: str, first: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(r["outcome"] == "running" for r in runs(db_url)):
        assert first.poll() is None, "the first harvest ended before the test could start the second"
        assert time.monotonic() < deadline, "the first harvest never started its run"
        time.sleep(0.1)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_second_harvest_of_a_platform_refuses_while_the_first_runs(backend: str, tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 40}}) as urls, \
            database(backend, tmp_path) as db_url:
        config = write_config(tmp_path, db_url, {SLUG: urls["jact"]}, overrides=SLOW)
        first = subprocess.Popen([sys.executable, "-m", "harvester", "harvest", SLUG], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harvester_env(config))
        try:
            wait_until_running(db_url, first)
            second = harvest(config, SLUG, timeout=120)
            overlapped = first.poll() is None
        finally:
            out, err = first.communicate(timeout=180)
        assert first.returncode == 0, out[-2000:] + err[-3000:]
        assert second.returncode == BUSY_EXIT, second.stdout[-2000:] + second.stderr[-3000:]
        assert overlapped, "the first harvest was over before the second was refused"
        said = " ".join(second.stdout.split())  # the console may wrap the line
        assert f"{SLUG}: not harvested: another harvest of this platform is running" in said
        assert f"pid {first.pid}" in said  # names the holder (the PostgreSQL session's name says it too)
        recorded = runs(db_url)
        assert [r["outcome"] for r in recorded] == ["succeeded"]  # one harvest, nothing beside it
        assert recorded[0]["new"] > 0

        again = harvest(config, SLUG)  # the lock went with the first harvest: the next one runs
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
        assert [r["outcome"] for r in runs(db_url)] == ["succeeded", "succeeded"]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_lock_of_a_killed_holder_is_free_and_other_platforms_are_not_blocked(backend: str, tmp_path: Path) -> None:
    holder = """
import sys, time
from harvester.store.platformlock import PlatformLock
lock = PlatformLock(sys.argv[1], sys.argv[2])
assert lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""
    with database(backend, tmp_path) as db_url:
        process = subprocess.Popen([sys.executable, "-c", holder, db_url, SLUG], cwd=ROOT, text=True,
                                   stdout=subprocess.PIPE)
        try:
            assert process.stdout is not None and process.stdout.readline().strip() == "locked"
            assert not PlatformLock(db_url, SLUG).acquire()
            assert f"pid {process.pid}" in PlatformLock(db_url, SLUG).refusal()
            other = PlatformLock(db_url, "jact_demo_gbk")
            assert other.acquire()
            other.release()
            started = time.monotonic()
            assert not PlatformLock(db_url, SLUG).acquire(wait_s=1.0)  # waits, then gives up
            assert time.monotonic() - started >= 1.0
        finally:
            process.kill()
            process.wait(timeout=10)
        lock = PlatformLock(db_url, SLUG)
        assert lock.acquire(wait_s=10)  # a PostgreSQL session ends a moment after its client is killed
        lock.release()
