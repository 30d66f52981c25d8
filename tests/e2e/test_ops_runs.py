"""`harvester runs` cuts the reason to fit its table; `harvester runs show N` prints the run whole."""

from __future__ import annotations

import json
from pathlib import Path

from harvester.store.db import Store
from tests.harvesting import cli, write_config

# What a network failure's reason looks like: the first of several failed requests, with its whole URL.
REASON = ("4 request(s) failed; first: GET http://127.0.0.1:9/jact/front/mailpubdetail.do?transactId=48123&sysid=6 "
          "-> ConnectionRefusedError: [Errno 111] Connection refused (after 3 retries); 市长信箱 board 6 not read")


def test_runs_points_at_runs_show_which_prints_the_whole_reason(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'runs.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": "http://127.0.0.1:9"})
    with Store.open(db_url) as store, store.transaction() as repo:
        run_id = repo.start_run("jact_demo", 1)
        repo.finish_run(run_id, "failed", {"requests": 4}, error=REASON, failure_class="network")
    listing = cli(config, "runs", "--limit", "5")
    assert listing.returncode == 0 and REASON not in listing.stdout
    assert f"(runs show {run_id})" in listing.stdout
    shown = cli(config, "runs", "show", str(run_id))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert f"why:          {REASON}" in lines and "outcome:      failed (network)" in lines
    assert "requests:     4" in lines and "platform:     jact_demo" in lines
    assert json.loads(cli(config, "runs", "show", str(run_id), "--json").stdout)["error"] == REASON
    missing = cli(config, "runs", "show", "999")
    assert missing.returncode == 1 and "no run 999" in missing.stderr


def test_a_board_shard_s_run_is_listed_and_shown_with_its_shard(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'runs.db'}"
    config = write_config(tmp_path, db_url, {"people_demo": "http://127.0.0.1:9"})
    with Store.open(db_url) as store, store.transaction() as repo:
        whole = repo.start_run("people_demo", 1)
        repo.finish_run(whole, "succeeded", {"requests": 9})
        shard = repo.start_run("people_demo", 1, shard="2/4")
        repo.finish_run(shard, "failed", {"requests": 4}, error="network down", failure_class="network")
    listing = cli(config, "runs", "--limit", "5")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split("│")[1].strip(): line for line in listing.stdout.splitlines() if line.count("│") > 3}
    assert "people_demo#2/4" in rows[str(shard)] and "failed" in rows[str(shard)]
    assert "people_demo " in rows[str(whole)] and "#" not in rows[str(whole)]
    shown = cli(config, "runs", "show", str(shard)).stdout.splitlines()
    assert "platform:     people_demo#2/4" in shown
