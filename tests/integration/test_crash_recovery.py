"""A harvest killed with SIGKILL mid-run loses no letter, duplicates none and repeats no event on the rerun.

The kill comes at a known write boundary (HARVESTER_DEBUG_CRASH_AT: right after the third batch is committed),
not after a race against the clock; tests/integration/test_crash_sweep.py and bench/crash_sweep.py try the others.
"""

from __future__ import annotations

import signal
import sqlite3
from collections import Counter
from pathlib import Path

from harvester.runs_debug import CRASHED, SETTING
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

BATCH = 10


def stored_count(db_file: Path) -> int:
    with sqlite3.connect(db_file, timeout=5) as connection:
        return int(connection.execute("select count(*) from messages").fetchone()[0])


def test_sigkill_mid_run_then_rerun_is_exact(tmp_path: Path) -> None:
    db_file = tmp_path / "crash.db"
    db_url = f"sqlite:///{db_file}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 120}}) as urls:
        config = write_config(tmp_path, db_url, {"jact_demo": urls["jact"]})
        killed = harvest(config, HARVESTER_BATCH_SIZE=str(BATCH), **{SETTING: "harvest.committed@3"})
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert f"{CRASHED} harvest.committed@3" in killed.stderr
        truth = [x for x in control(urls["jact"], "jact/letters") if x["public"]]
        assert stored_count(db_file) == 3 * BATCH < len(truth)  # three batches stored, then the kill

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
