"""A harvest killed with SIGKILL mid-run loses no letter, duplicates none and repeats no event on the rerun."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from harvester.store.db import Store
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.replicahost import control, replica_process


def stored_count(db_file: Path) -> int:
    try:
        with sqlite3.connect(db_file, timeout=5) as connection:
            return int(connection.execute("select count(*) from messages").fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0


def test_sigkill_mid_run_then_rerun_is_exact(tmp_path: Path) -> None:
    db_file = tmp_path / "crash.db"
    db_url = f"sqlite:///{db_file}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 240, "latency_ms": 40}}) as urls:
        config = write_config(tmp_path, db_url, {"jact_demo": urls["jact"]})
        process = subprocess.Popen([sys.executable, "-m", "harvester", "harvest"], cwd=ROOT,
                                   env=harvester_env(config, HARVESTER_BATCH_SIZE="10"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while stored_count(db_file) < 30:
            assert process.poll() is None, "the harvest finished before it could be killed; slow the replica"
            assert time.monotonic() < deadline, "the harvest stored nothing within 60 s"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        truth = [x for x in control(urls["jact"], "jact/letters") if x["public"]]
        assert stored_count(db_file) < len(truth), "killed too late to prove anything"

        rerun = harvest(config)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    with Store.open(db_url).transaction() as repo:
        messages = list(repo.iter_messages(platform="jact_demo"))
        feed = repo.events_since(0, limit=100_000)
        runs = repo.latest_runs(limit=5, platform="jact_demo")
    assert sorted(m["external_id"] for m in messages) == sorted(str(x["id"]) for x in truth)
    created = Counter(e["external_id"] for e in feed if e["kind"] == "created")
    assert set(created.values()) == {1}, "a letter got two `created` events"
    assert len(feed) == len({(e["external_id"], e["kind"], str(e["payload"])) for e in feed})
    assert [r["outcome"] for r in runs] == ["succeeded", "abandoned"]
    assert "died" in runs[1]["error"]
