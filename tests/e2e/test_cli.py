"""The `harvester` command as operators and cron use it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harvesting import ROOT, cli, harvest, write_config
from tests.replicahost import control, replica_process

COMMANDS = [[], ["run"], ["monitor"], ["check"], ["push"], ["replies"], ["replies", "add"], ["replies", "list"], ["harvest"], ["runs"], ["changes"], ["export"], ["demo"], ["db"], ["db", "upgrade"],
            ["replicas"], ["replicas", "serve"], ["platforms"], ["platforms", "list"], ["platforms", "new"], ["platforms", "boards"],
            ["platforms", "probe"], ["platforms", "check"], ["fixtures"], ["fixtures", "record"], ["users"],
            ["users", "add"], ["serve"], ["worker"], ["enqueue"], ["queue"]]
# A mobile number standing alone (not 11 digits inside a content hash or a longer number).
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "harvester")
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "harvester", *command, "--help"], cwd=ROOT, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_a_configuration_mistake_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "harvester.toml"
    config.write_text('[platforms.nosuch]\nbase_url = "x"\n', encoding="utf-8")
    result = cli(config, "platforms", "list")
    assert result.returncode == 2
    assert "[platforms.nosuch]" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("cli")
    db_url = f"sqlite:///{tmp / 'cli.db'}"
    with replica_process(tmp, ["jact"], options={"jact": {"letters": 60}}) as urls:
        config = write_config(tmp, db_url, {"jact_demo": urls["jact"]})
        result = harvest(config)
        assert result.returncode == 0, result.stdout + result.stderr
    return config, db_url


def test_changes_prints_json_lines_in_sequence_order(harvested: tuple[Path, str]) -> None:
    config, _ = harvested
    lines = cli(config, "changes", "--since", "0").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events and all(e["kind"] == "created" or e["payload"].get("fields") == ["link_group"] for e in events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    later = [json.loads(line) for line in cli(config, "changes", "--since", str(seqs[4])).stdout.splitlines()]
    assert [e["seq"] for e in later] == seqs[5:]


def test_runs_shows_the_harvest(harvested: tuple[Path, str]) -> None:
    config, _ = harvested
    result = cli(config, "runs")
    assert result.returncode == 0
    assert "jact_demo" in result.stdout and "succeeded" in result.stdout


def test_export_masks_phones_unless_full_is_asked_for(harvested: tuple[Path, str], tmp_path: Path) -> None:
    config, _ = harvested
    masked, full = tmp_path / "masked.jsonl", tmp_path / "full.jsonl"
    assert cli(config, "export", "-o", str(masked)).returncode == 0
    assert cli(config, "export", "--full", "-o", str(full)).returncode == 0
    assert PHONE.search(full.read_text(encoding="utf-8")), "the replica always has some letters with phones"
    assert not PHONE.search(masked.read_text(encoding="utf-8"))
    assert len(masked.read_text(encoding="utf-8").splitlines()) == len(full.read_text(encoding="utf-8").splitlines())
    excel = tmp_path / "excel.csv"
    assert cli(config, "export", "--format", "csv", "--excel", "-o", str(excel)).returncode == 0
    assert excel.read_bytes().startswith("\ufeff".encode()) and not PHONE.search(excel.read_text(encoding="utf-8-sig"))


def test_harvest_logs_carry_no_phone_numbers(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 40}}) as urls:
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'log.db'}", {"jact_demo": urls["jact"]})
        result = harvest(config, HARVESTER_LOG_LEVEL="DEBUG")
        bodies = " ".join(x["body"] for x in control(urls["jact"], "jact/letters") if x["public"])
    phones = set(PHONE.findall(bodies))
    assert result.returncode == 0
    assert phones, "the replica always has letters with phone numbers"
    assert "Scraped Message" in result.stderr  # DEBUG logging really was on
    assert [p for p in phones if p in result.stderr + result.stdout] == []


def test_demo_runs_the_whole_loop_in_its_own_store(tmp_path: Path) -> None:
    # an operator's shell: a production config and store URL in the environment, which the demo must not touch
    production = tmp_path / "etc"
    production.mkdir()
    file_db, env_db = production / "file.db", production / "env.db"
    (production / "harvester.toml").write_text(f'db_url = "sqlite:///{file_db}"\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT),  # this checkout, whatever else is installed
           "HARVESTER_CONFIG": str(production / "harvester.toml"), "HARVESTER_DB_URL": f"sqlite:///{env_db}"}
    result = subprocess.run([sys.executable, "-m", "harvester", "demo", "--workdir", str(tmp_path)], cwd=tmp_path,
                            text=True, capture_output=True, timeout=170, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Demo summary" in result.stdout and "jact_demo_gbk" in result.stdout
    # the reply leg ran (the test command installs Chromium): approved, pushed, and verified by the second harvest
    assert re.search(r"demo reply \d+: verified", result.stdout), result.stdout[-2000:]
    assert (tmp_path / "harvester-demo.db").exists()
    assert sorted(p.name for p in production.iterdir()) == ["harvester.toml"]  # no production store was written
    # right after a healthy demo its store holds: overdue letters (the replicas' are weeks old) are 督办, not failures
    assert "(unset HARVESTER_DB_URL first" in result.stdout
    operator = {k: v for k, v in env.items() if k != "HARVESTER_DB_URL"}
    demo_env = {**operator, "HARVESTER_CONFIG": str(tmp_path / "harvester-demo.toml")}
    checked = subprocess.run([sys.executable, "-m", "harvester", "monitor", "--json"], cwd=tmp_path, text=True,
                             capture_output=True, timeout=120, env=demo_env)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr
    report = json.loads(checked.stdout)
    # `harvester check`, the old name crontabs still use, runs the same monitors
    old_name = subprocess.run([sys.executable, "-m", "harvester", "check", "--json"], cwd=tmp_path, text=True,
                              capture_output=True, timeout=120, env=demo_env)
    assert old_name.returncode == 0, old_name.stderr
    assert [(c["check"], c["platform"], c["status"]) for c in json.loads(old_name.stdout)["checks"]] == \
        [(c["check"], c["platform"], c["status"]) for c in report["checks"]]
    assert {c["platform"] for c in report["checks"]} == {"jact_demo", "jact_demo_gbk", "discuz_demo", "discuz_demo_gbk"}
    assert sum(c["figures"].get("count", 0) for c in report["overdue"]) > 0


def test_scrapy_list_and_crawl_use_the_same_platforms_and_store(tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, text=True, capture_output=True,
                            timeout=60)
    assert {"jact_demo", "jact_demo_gbk", "discuz_demo"} <= set(listed.stdout.split())
    db_url = f"sqlite:///{tmp_path / 'scrapy.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 20}}) as urls:
        config = write_config(tmp_path, db_url, {"jact_demo": urls["jact"]})
        crawl = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "jact_demo"], cwd=ROOT, text=True,
                               capture_output=True, timeout=120,
                               env={**os.environ, "HARVESTER_CONFIG": str(config)})
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert "TelnetConsole" not in crawl.stderr and "RemoteControl" not in crawl.stderr
    from harvester.store.db import Store

    with Store.open(db_url).transaction() as repo:
        assert repo.latest_runs(limit=1)[0]["outcome"] == "succeeded"
        assert repo.counts()["messages"] >= 15


def test_replicas_serve_answers_on_the_documented_ports() -> None:
    process = subprocess.Popen([sys.executable, "-m", "harvester", "replicas", "serve", "--only", "jact",
                                "--base-port", "18601"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline() if process.stdout else ""
        assert first.strip() == "{", "the server prints its {name: url} map once listening"
        import time
        import urllib.request

        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:18601/jact/front/mailpublist.do?sysid=6") as page:
                    assert page.status == 200 and "市长信箱".encode() in page.read()
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
