"""Run figures (HTTP statuses, soft blocks, rows listed) live in the store, so `harvester check` judges a
harvest from any host that reads the store, not only from the one whose state directory saw it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harvesting import cli, harvest, write_config
from tests.replicahost import control, replica_process

PLATFORM = "jact_demo"


def test_a_soft_block_seen_by_one_host_is_reported_by_a_check_on_another(tmp_path: Path, sqlite_url: str) -> None:
    with replica_process(tmp_path, ["jact"], seed=5) as urls:
        site = urls["jact"]
        config = write_config(tmp_path, sqlite_url, {PLATFORM: site})
        healthy = harvest(config, PLATFORM, HARVESTER_STATE_DIR=str(tmp_path / "harvest-host"))
        listed = len(control(site, "jact/letters"))
        control(site, "jact/mode", {"mode": "challenge"})
        blocked = harvest(config, PLATFORM, HARVESTER_STATE_DIR=str(tmp_path / "harvest-host"),
                          HARVESTER_RECHECK_AFTER_HOURS="0")
    assert healthy.returncode == 0, healthy.stderr[-2000:]
    assert blocked.returncode == 1
    listing = cli(config, "runs", "--json", "--platform", PLATFORM)
    newest, first = (json.loads(line) for line in listing.stdout.splitlines())
    assert first["started_at"].endswith("+08:00") and newest["outcome"] == "failed"
    assert first["figures"]["downloader/response_status_count/200"] == first["requests"]
    assert first["figures"]["harvester/listed"] == listed
    assert newest["figures"]["harvester/soft_blocked"] >= 1
    assert not (tmp_path / "checking-host").exists()
    checked = cli(config, "check", "--json", timeout=120,
                  HARVESTER_STATE_DIR=str(tmp_path / "checking-host"))
    report = json.loads(checked.stdout)
    soft = next(c for c in report["checks"] if c["check"] == "soft_blocks" and c["platform"] == PLATFORM)
    assert checked.returncode == 1 and soft["status"] == "failed" and "challenge" in soft["detail"]
