"""The kept Chromium of a browser worker, with real parts: a `harvester worker --queues browser` (one pool process)
harvests jact replicas through scrapy-playwright, task after task, on the Chromium its pool process keeps; a kept
browser killed between tasks is started again; none is left behind when the worker stops or its pool process is
killed. And the direct-Playwright adapter (reply back offices) connects to a kept browser without closing it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from adapters.browser import PlaywrightFetchAdapter
from harvester.app.distributed.celeryapp import create_app
from harvester.app.distributed.keptbrowser import KeptBrowser, sweep_profiles
from harvester.app.distributed.names import BROWSER_QUEUE, HARVEST
from harvester.app.distributed.settings import load_distributed_settings
from harvester.config import load_config
from harvester.store.db import Store
from harvester.timeutil import utcnow
from tests.distributed.cluster import RedisServer, Workers, all_runs, cluster_env, wait_for
from tests.harvesting import harvest, write_config
from tests.replicahost import replica_process

pytestmark = [pytest.mark.postgres, pytest.mark.browser]
PLATFORMS = {"jact_demo": "jact", "jact_demo_gbk": "jact_gbk"}  # slug -> replica; both rendered in Chromium
KEPT_PROFILE = "harvester-kept-chromium-"


def _proc(pid: int) -> tuple[int, list[str]] | None:
    """(parent pid, argv) of a live process, or None."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1]), [a.decode(errors="replace") for a in argv if a]


def browsers_under(ancestor: int) -> dict[int, list[str]]:
    """Chromium browser processes (not renderers, zygotes or helpers) descending from `ancestor`: pid -> argv."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or (info := _proc(int(entry))) is None:
            continue
        _, argv = info
        if not argv or not argv[0].endswith("chromium") or any(a.startswith("--type=") for a in argv):
            continue
        parent = info[0]
        while parent > 1 and parent != ancestor:
            parent = (_proc(parent) or (0, []))[0]
        if parent == ancestor:
            found[int(entry)] = argv
    return found


@contextmanager
def watching_browsers(ancestor: int) -> Iterator[dict[int, list[str]]]:
    """Every Chromium browser process seen under `ancestor` while the block runs (polled every 50 ms)."""
    seen: dict[int, list[str]] = {}
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.update(browsers_under(ancestor))
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def alive(pid: int) -> bool:
    info = _proc(pid)
    return info is not None and bool(info[1])  # a zombie has no argv


def stored(db_url: str, slug: str) -> int:
    with Store.open(db_url) as store, store.transaction() as repo:
        return sum(1 for _ in repo.iter_messages(platform=slug))


def succeeded_runs(db_url: str, slug: str) -> int:
    return sum(1 for run in all_runs(db_url) if run["platform"] == slug and run["outcome"] == "succeeded")


def harvest_on_browser_queue(app: Celery, db_url: str, slug: str, timeout: float = 60) -> None:
    before = succeeded_runs(db_url, slug)
    app.send_task(HARVEST, args=[[slug], utcnow().isoformat()], queue=BROWSER_QUEUE)
    wait_for(lambda: succeeded_runs(db_url, slug) > before, timeout, f"a browser harvest of {slug} to succeed")


@contextmanager
def browser_worker(tmp_path: Path, broker: RedisServer, pg_url: str) -> Iterator[tuple[Workers, Celery, Path]]:
    (tmp_path / "sites").mkdir()
    with replica_process(tmp_path / "sites", list(PLATFORMS.values()),
                         options={name: {"letters": 10} for name in PLATFORMS.values()}) as urls:
        config = write_config(tmp_path, pg_url, {slug: urls[name] for slug, name in PLATFORMS.items()},
                              extra=f'state_dir = "{tmp_path / "state"}"',
                              overrides={slug: {"fetch": "browser"} for slug in PLATFORMS})
        loaded = load_config(env=cluster_env(config, broker.url), cwd=tmp_path)
        app = create_app(loaded, load_distributed_settings(loaded))
        workers = Workers(config, broker.url, tmp_path / "workers")
        workers.start("browser", concurrency=1, queues=BROWSER_QUEUE)
        try:
            workers.wait_ready()
            yield workers, app, config
        finally:
            workers.stop()
            app.close()


def pool_process(worker: int) -> int:
    children = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                if (info := _proc(pid)) is not None and info[0] == worker]
    assert len(children) == 1, f"expected one pool process under the worker, found {children}"
    return children[0]


def test_a_browser_worker_harvests_two_tasks_on_one_kept_chromium_and_kills_it_when_it_stops(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    with browser_worker(tmp_path, broker, pg_url) as (workers, app, _):
        worker = workers.processes["browser"]
        assert browsers_under(worker.pid) == {}, "a browser worker starts Chromium only for its first browser task"
        with watching_browsers(worker.pid) as seen:
            for slug in PLATFORMS:
                harvest_on_browser_queue(app, pg_url, slug)
        assert len(seen) == 1, f"one Chromium for both harvests, saw {len(seen)}: {list(seen.values())}"
        [(kept, argv)] = seen.items()
        assert "--remote-debugging-port=0" in argv and any(KEPT_PROFILE in a for a in argv)
        assert alive(kept), "the kept Chromium outlives the tasks"
        for slug in PLATFORMS:
            assert stored(pg_url, slug) >= 8, f"{slug}: {stored(pg_url, slug)} messages"
        profile = Path(next(a for a in argv if KEPT_PROFILE in a).split("=", 1)[1])
    wait_for(lambda: not alive(kept), 15, "the kept Chromium to end with its worker")
    assert not profile.exists(), "the kept browser's profile is removed with it"


def test_a_kept_chromium_that_died_is_started_again_and_goes_with_a_killed_pool_process(
        tmp_path: Path, broker: RedisServer, pg_url: str) -> None:
    first, second = PLATFORMS
    with browser_worker(tmp_path, broker, pg_url) as (workers, app, config):
        worker = workers.processes["browser"]
        harvest_on_browser_queue(app, pg_url, first)
        [old] = browsers_under(worker.pid)
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: not alive(old), 10, "the kept Chromium to die")

        harvest_on_browser_queue(app, pg_url, second)
        running = browsers_under(worker.pid)
        assert len(running) == 1, f"the kept Chromium started again after it died, found {list(running.values())}"
        [new] = running
        assert new != old and stored(pg_url, second) >= 8

        # A crawl handed an endpoint that does not answer launches its own Chromium, with one warning.
        before = succeeded_runs(pg_url, first)
        done = harvest(config, first, HARVESTER_BROWSER_CDP_URL="http://127.0.0.1:9")
        assert done.returncode == 0 and succeeded_runs(pg_url, first) == before + 1, done.stderr[-2000:]
        assert done.stderr.count("does not answer") == 1, done.stderr[-2000:]

        pool = pool_process(worker.pid)
        os.kill(pool, signal.SIGKILL)  # no shutdown handler runs: the death signal takes the browser down
        wait_for(lambda: not alive(new), 10, "the kept Chromium to die with its pool process")


async def _fetch_and_close(url: str, page_url: str) -> tuple[list[dict[str, Any]], int]:
    """The cookies a fresh adapter's page starts with, and how many Chromium browsers run under this process."""
    async with PlaywrightFetchAdapter(cdp_url=url) as adapter:
        async with adapter.page(page_url) as page:
            cookies = await page.context.cookies()
            await page.context.add_cookies([{"name": "session", "value": "one-task", "url": page_url}])
            browsers = len(browsers_under(os.getpid()))
    return cookies, browsers


def test_the_fetch_adapter_connects_to_a_kept_chromium_in_contexts_of_its_own_and_leaves_it_running() -> None:
    kept, site = KeptBrowser(), "http://127.0.0.1:9/"
    try:
        url = kept.url()
        assert asyncio.run(_fetch_and_close(url, site)) == ([], 1), "connected to the kept Chromium, launched none"
        assert asyncio.run(_fetch_and_close(url, site)) == ([], 1), "a fresh context: no cookie of the last adapter"
        assert kept.pid is not None and alive(kept.pid) and kept.url() == url, "closing only disconnected"
        kept.stop()
        assert asyncio.run(_fetch_and_close(url, site)) == ([], 1), "a kept Chromium gone: the adapter launches one"
    finally:
        kept.stop()


def test_profiles_of_kept_browsers_that_are_gone_are_swept(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    profiles = {}
    for name, pid in (("gone", gone.pid), ("running", os.getpid())):
        profiles[name] = tmp_path / f"{KEPT_PROFILE}{name}"
        profiles[name].mkdir()
        (profiles[name] / "SingletonLock").symlink_to(f"{socket.gethostname()}-{pid}")
    (tmp_path / f"{KEPT_PROFILE}starting").mkdir()  # no lock yet
    sweep_profiles(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{KEPT_PROFILE}running", f"{KEPT_PROFILE}starting"]


def test_a_kept_chromium_is_replaced_by_a_fresh_one_after_serving_its_tasks() -> None:
    kept = KeptBrowser(recycle_after=2)
    try:
        first = kept.url()
        old = kept.pid
        assert kept.url() == first and kept.pid == old  # the second task: the same browser
        kept.url()  # the third: a fresh browser
        assert old is not None and kept.pid not in (None, old)
        wait_for(lambda: _proc(old) is None or "Z" in Path(f"/proc/{old}/stat").read_text().rsplit(")", 1)[1][:3],
                 10, "the browser that served its tasks to be gone")
        assert kept.served == 1  # the fresh browser's first task
    finally:
        kept.stop()
