"""`harvester run` killed with SIGKILL (cron's timeout -s KILL, the OOM killer) leaves no harvest child alive,
so the next run never harvests beside a leftover one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harvester.store.db import Store
from harvester.store.platformlock import PlatformLock
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.replicahost import replica_process

SLUG = "jact_demo"
QUIET = 'state_dir = "state"\n[checks.overdue]\nenabled = false\n'


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_sigkilled_run_leaves_no_harvest_child_and_the_next_harvest_runs(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 40}}) as urls:
        config = write_config(tmp_path, db_url, {SLUG: urls["jact"]}, extra=QUIET,
                              overrides={SLUG: {"download_delay": 0.5}})  # still crawling when the run is killed
        run = subprocess.Popen([sys.executable, "-m", "harvester", "run"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=harvester_env(config))
        child = None
        try:
            deadline = time.monotonic() + 60
            while child is None:
                assert run.poll() is None, "the run ended before it started a harvest"
                assert time.monotonic() < deadline, "no harvest child appeared"
                child = next((pid for pid in children(run.pid) if " harvest " in cmdline(pid)), None)
                time.sleep(0.05)
            time.sleep(1.0)  # the child is past its start-up, inside its crawl
            assert alive(child)
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
            deadline = time.monotonic() + 10
            while alive(child) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not alive(child), f"harvest child {child} outlived the killed run: {cmdline(child)}"
        finally:
            if run.poll() is None:
                run.kill()
            if child is not None and alive(child):
                os.kill(child, signal.SIGKILL)
        lock = PlatformLock(db_url, SLUG)
        assert lock.acquire(wait_s=5), "the platform is still locked after the run and its child died"
        lock.release()
        rerun = harvest(config, SLUG)
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    with Store.open(db_url) as store, store.transaction() as repo:
        outcomes = [r["outcome"] for r in repo.latest_runs(limit=5, platform=SLUG)]
    assert outcomes[0] == "succeeded" and "running" not in outcomes, outcomes


HOLDER = """
import sys, time
from harvester.store.platformlock import PlatformLock
lock = PlatformLock(sys.argv[1], sys.argv[2])
assert lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_run_names_a_platform_another_harvest_holds_and_harvests_the_rest(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    with replica_process(tmp_path, ["jact", "jact_gbk"], options={"jact": {"letters": 10},
                                                               "jact_gbk": {"letters": 10}}) as urls:
        config = write_config(tmp_path, db_url, {SLUG: urls["jact"], "jact_demo_gbk": urls["jact_gbk"]},
                              extra=QUIET + "[run]\nper_process = 1\n")
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, db_url, SLUG], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE)  # another machine's harvest of jact_demo, say
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            run = subprocess.run([sys.executable, "-m", "harvester", "run"], cwd=ROOT, text=True,
                                 capture_output=True, timeout=240, env=harvester_env(config))
        finally:
            holder.kill()
            holder.wait(timeout=10)
    said = run.stdout + run.stderr
    assert "not harvested: another harvest of this platform is running" in said, said[-3000:]
    with Store.open(db_url) as store, store.transaction() as repo:
        recorded = {r["platform"]: r["outcome"] for r in repo.latest_runs(limit=10)}
    assert recorded == {"jact_demo_gbk": "succeeded"}  # the held platform was left alone, the other harvested
