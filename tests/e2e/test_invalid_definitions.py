"""A definition with a mistake is named, file and line, and never takes the platforms harvested with it down."""

from __future__ import annotations

import json
from pathlib import Path

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import cli, harvest, write_config
from tests.integration.test_alerts import LoopThread, WebhookReceiver
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


BROKEN_FILES = {  # file stem -> what the reason must say
    "bad_toml": "Illegal character",
    "escape": "field 'slug' must be lower-case ASCII",
    "wrong_key": "unknown top-level field(s) ['surprise']",
    "fast": "field 'download_delay' must be a non-negative number, got 'fast'",
}


def broken_files(tmp: Path) -> Path:
    """Four definition files, each broken at the file level (not in its options)."""
    good = (BUILTIN_DIR / "dalian_szxx.toml").read_text(encoding="utf-8")
    texts = {"bad_toml": 'slug = "bad_toml\n',
             "escape": good.replace('slug = "dalian_szxx"', 'slug = "../escape"'),
             "wrong_key": "surprise = 1\n" + good.replace('slug = "dalian_szxx"', 'slug = "wrong_key"'),
             "fast": good.replace('slug = "dalian_szxx"', 'slug = "fast"').replace("download_delay = 0.0",
                                                                                   'download_delay = "fast"')}
    folder = tmp / "platforms"
    folder.mkdir()
    for stem, text in texts.items():
        (folder / f"{stem}.toml").write_text(text, encoding="utf-8")
    return folder


def test_broken_definition_files_fail_alone_in_check_and_platforms_list(tmp_path: Path) -> None:
    folder = broken_files(tmp_path)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}",
                          {**dict.fromkeys(BROKEN_FILES, "http://127.0.0.1:9"), "jact_demo": "http://127.0.0.1:9"},
                          extra=f"platforms_dirs = [{str(folder)!r}]\n" + QUIET)
    checked = cli(config, "check", "--json")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    failed = {(c["platform"], c["check"]): c["detail"] for c in json.loads(checked.stdout)["checks"]
              if c["status"] != "ok"}
    for stem, reason in BROKEN_FILES.items():
        assert f"{folder / stem}.toml" in failed[(stem, "definition")] and reason in failed[(stem, "definition")]
    assert ("jact_demo", "definition") not in failed
    listed = cli(config, "platforms", "list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert "✗ fast:" in listed.stdout and "✗ jact_demo" not in listed.stdout


def test_a_run_with_broken_definition_files_harvests_the_rest_and_reports_and_alerts(tmp_path: Path) -> None:
    folder = broken_files(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    loop, hook = LoopThread(), WebhookReceiver()
    loop.run(hook.start())
    try:
        with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 6}}) as urls:
            config = write_config(tmp_path, db_url, {**dict.fromkeys(BROKEN_FILES, "http://127.0.0.1:9"),
                                                     "jact_demo": urls["jact"]},
                                  extra=f'platforms_dirs = [{str(folder)!r}]\n' + QUIET
                                  + f'[run]\ntextfile = "metrics.prom"\n[[alerts.webhooks]]\nurl = "{hook.base_url}/hook"\n')
            run = cli(config, "run", "--json", timeout=180)
    finally:
        loop.run(hook.stop())
        loop.close()
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    harvests = {h["platform"]: h for h in json.loads(run.stdout)["harvests"]}
    assert harvests["jact_demo"]["ok"] is True
    for stem in BROKEN_FILES:
        assert (harvests[stem]["ok"], harvests[stem]["failure_class"]) == (False, "definition")
    assert 'liuyan_check_failed{check="harvest",platform="fast"} 1' in (tmp_path / "metrics.prom").read_text()
    [posted] = hook.on("/hook")
    assert {f["platform"] for f in posted.json["failures"]} == set(BROKEN_FILES)
    with Store.open(db_url) as store, store.transaction() as repo:
        assert sum(1 for _ in repo.iter_messages(platform="jact_demo")) > 0
