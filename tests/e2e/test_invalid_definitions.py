"""A definition with a mistake is named, file and line, and never takes the platforms harvested with it down."""

from __future__ import annotations

import json
from pathlib import Path

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import cli, harvest, write_config
from tests.replicahost import replica_process

QUIET = '[checks.overdue]\nenabled = false\n'


def broken_definition(tmp: Path) -> Path:
    """dalian_szxx as `broken_szxx`, with a list-row XPath that does not parse (line 19 of the file)."""
    text = (BUILTIN_DIR / "dalian_szxx.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "dalian_szxx"', 'slug = "broken_szxx"').replace(
        'rows = "css:ul.mt10 > li"', 'rows = "xpath:./li[["')
    folder = tmp / "platforms"
    folder.mkdir()
    (folder / "broken_szxx.toml").write_text(text, encoding="utf-8")
    return folder


def test_platforms_list_names_the_broken_definition_and_fails(tmp_path: Path) -> None:
    folder = broken_definition(tmp_path)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}",
                          {"broken_szxx": "http://127.0.0.1:9", "jact_demo": "http://127.0.0.1:9"},
                          extra=f"platforms_dirs = [{str(folder)!r}]")
    listed = cli(config, "platforms", "list")
    assert listed.returncode == 1
    assert "broken_szxx.toml:19: field 'options.list.rows': invalid xpath" in listed.stdout
    assert "jact_demo" in listed.stdout and "✗ jact_demo" not in listed.stdout


def test_a_broken_definition_is_a_failed_run_and_its_process_mates_are_harvested(tmp_path: Path) -> None:
    folder = broken_definition(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 12}}) as urls:
        config = write_config(tmp_path, db_url, {"broken_szxx": "http://127.0.0.1:9", "jact_demo": urls["jact"]},
                              extra=f'platforms_dirs = [{str(folder)!r}]\nstate_dir = "state"\n' + QUIET
                              + "[run]\nper_process = 8\n")
        alone = harvest(config, "broken_szxx", "jact_demo")
        run = cli(config, "run", "--json", timeout=180)
    assert alone.returncode == 1 and "failed: broken_szxx" in alone.stdout
    harvests = {h["platform"]: h for h in json.loads(run.stdout)["harvests"]}
    assert run.returncode == 1
    assert harvests["jact_demo"]["ok"] is True
    assert harvests["broken_szxx"]["ok"] is False and harvests["broken_szxx"]["failure_class"] == "definition"
    assert "broken_szxx.toml:19" in harvests["broken_szxx"]["detail"]
    with Store.open(db_url) as store, store.transaction() as repo:
        runs = repo.latest_runs(limit=10)
        stored = sum(1 for _ in repo.iter_messages(platform="jact_demo"))
    assert [(r["platform"], r["outcome"], r["failure_class"]) for r in runs if r["platform"] == "broken_szxx"] == [
        ("broken_szxx", "failed", "definition")] * 2
    assert stored > 0 and all(r["outcome"] == "succeeded" for r in runs if r["platform"] == "jact_demo")
