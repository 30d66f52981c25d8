"""`harvester run` and `harvester check` as cron runs them: no terminal, real replicas, real receivers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from harvester.holidays import package_years
from harvester.store.db import Store
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind
from tests.harvesting import ROOT, cli, harvester_env, write_config
from tests.integration.test_alerts import LoopThread, SmtpReceiver, WebhookReceiver
from tests.replicahost import replica_process
from tests.store.builders import letter

PLATFORMS = ("jact_demo", "jact_demo_gbk")
# The replicas' letters are weeks old and partly unanswered: leave deadlines to tests/integration/test_monitors.py.
QUIET = 'state_dir = "state"\n[checks.overdue]\nenabled = false\n'


@pytest.fixture(scope="module")
def mailboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("replicas"), ["jact", "jact_gbk"],
                         options={"jact": {"letters": 25}, "jact_gbk": {"letters": 20}}) as urls:
        yield urls


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[WebhookReceiver, SmtpReceiver]]:
    loop = LoopThread()
    hook, mail = WebhookReceiver(), SmtpReceiver()
    loop.run(hook.start())
    loop.run(mail.start())
    yield hook, mail
    loop.run(hook.stop())
    loop.run(mail.stop())
    loop.close()


def start_run(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harvester", "run", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harvester_env(config))


def runs_of(db_url: str) -> list[dict]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return repo.latest_runs(limit=50)


def test_two_runs_started_together_one_harvests_and_the_other_exits_at_once(tmp_path: Path,
                                                                             mailboxes: dict[str, str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'lock.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": mailboxes["jact"], "jact_demo_gbk": mailboxes["jact_gbk"]},
                          extra=QUIET)
    processes = [start_run(config), start_run(config)]
    finished: list[tuple[subprocess.Popen[str], str, str]] = []
    deadline = time.monotonic() + 120
    while len(finished) < 2 and time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None and all(process is not p for p, _, _ in finished):
                finished.append((process, *process.communicate()))
        time.sleep(0.05)
    assert len(finished) == 2, "a run hung"
    (first, _, first_err), (second, second_out, second_err) = finished
    assert (first.returncode, second.returncode) == (3, 0), first_err + second_err
    assert "another harvester run (pid" in first_err and "run.lock" in first_err and "exiting" in first_err
    assert "event=summary level=info holds=true" in second_out
    assert sorted(run["platform"] for run in runs_of(db_url)) == sorted(PLATFORMS)  # each harvested once


def test_a_platform_that_is_down_fails_the_run_by_name_and_spares_the_others(
        tmp_path: Path, mailboxes: dict[str, str], receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hook, mail = receivers
    db_url = f"sqlite:///{tmp_path / 'down.db'}"
    alerts = (f'[run]\ntextfile = "metrics.prom"\n[[alerts.webhooks]]\nurl = "{hook.base_url}/hook?case=down"\n'
              f'[alerts.email]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "plain"\n'
              'sender = "harvester@example.gov.cn"\nrecipients = ["duty@example.gov.cn"]\n')
    config = write_config(tmp_path, db_url, {"jact_demo": "http://127.0.0.1:9", "jact_demo_gbk": mailboxes["jact_gbk"]},
                          extra=QUIET + alerts)
    process = start_run(config, "--json")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    report = json.loads(out)
    harvests = {h["platform"]: h for h in report["harvests"]}
    assert (harvests["jact_demo"]["ok"], harvests["jact_demo"]["failure_class"]) == (False, "network")
    assert harvests["jact_demo_gbk"]["ok"] is True
    assert "event=harvest.finished level=error platform=jact_demo " in err  # the cron log names it
    failing = {(c["check"], c["platform"]) for c in report["checks"] if c["status"] != "ok"}
    assert failing == {("last_run", "jact_demo"), ("staleness", "jact_demo"), ("error_rates", "jact_demo")}
    with Store.open(db_url) as store, store.transaction() as repo:
        assert sum(1 for _ in repo.iter_messages(platform="jact_demo_gbk")) > 0
    metrics = (tmp_path / "metrics.prom").read_text(encoding="utf-8")
    assert 'liuyan_check_failed{check="harvest",platform="jact_demo"} 1' in metrics
    assert 'liuyan_check_failed{check="harvest",platform="jact_demo_gbk"} 0' in metrics
    [posted] = [p for p in hook.on("/hook") if p.query.get("case") == "down"]
    assert {(f["check"], f["platform"]) for f in posted.json["failures"]} >= {("harvest", "jact_demo")}
    assert not [f for f in posted.json["failures"] if f["platform"] == "jact_demo_gbk"]
    [sent] = mail.mails
    assert sent.rcpt_to == ["duty@example.gov.cn"] and "jact_demo" in sent.parsed().get_content()
    assert "failed (network)" in cli(config, "runs").stdout


def test_a_healthy_run_with_overdue_letters_exits_0_and_sends_them_to_their_own_channel(
        tmp_path: Path, mailboxes: dict[str, str], receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hook, _ = receivers
    db_url = f"sqlite:///{tmp_path / 'overdue.db'}"
    alerts = (f'state_dir = "state"\n[[alerts.webhooks]]\nurl = "{hook.base_url}/hook?case=overdue"\n'
              f'[alerts.overdue]\nseverity = "info"\n'
              f'[[alerts.overdue.webhooks]]\nurl = "{hook.base_url}/duban?case=overdue"\n')
    config = write_config(tmp_path, db_url, {"jact_demo": mailboxes["jact"], "jact_demo_gbk": mailboxes["jact_gbk"]},
                          extra=alerts)  # the overdue monitor on: the replicas' letters are weeks old
    process = start_run(config, "--json")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    report = json.loads(out)
    assert report["holds"] is True and all(c["status"] == "ok" for c in report["checks"])
    late = {c["platform"]: c["figures"]["count"] for c in report["overdue"]}
    assert late["jact_demo"] > 0, "the replica always has unanswered letters weeks old"
    assert [p for p in hook.on("/hook") if p.query.get("case") == "overdue"] == []  # no health alert
    [duban] = [p for p in hook.on("/duban") if p.query.get("case") == "overdue"]
    assert duban.json["severity"] == "info" and f"督办 {sum(late.values())} overdue letter(s)" in duban.json["title"]
    again = cli(config, "check")  # right after the run, as an operator would
    assert again.returncode == 0, again.stdout + again.stderr
    assert "event=overdue level=warning platform=jact_demo " in again.stdout
    assert "event=summary level=info holds=true" in again.stdout.splitlines()[-1]


def test_check_on_a_store_never_harvested_fails_with_log_lines_or_json(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", {"jact_demo": "http://127.0.0.1:9"},
                          extra=QUIET)
    plain = cli(config, "check")
    assert plain.returncode == 1
    lines = plain.stdout.splitlines()
    assert any("event=check level=error check=staleness platform=jact_demo" in line and
               'detail="never harvested successfully"' in line for line in lines)
    assert lines[-1].split(" ", 1)[1].startswith("event=summary level=error holds=false")
    report = json.loads(cli(config, "check", "--json", "--at", "2026-11-25T08:00").stdout)
    assert report["at"] == "2026-11-25T08:00:00+08:00" and report["holds"] is False


def test_check_in_a_deployment_judges_its_own_platforms_never_the_builtin_replicas(tmp_path: Path) -> None:
    own = tmp_path / "platforms"
    own.mkdir()
    builtin = Path(ROOT / "harvester" / "platforms" / "jact_demo.toml").read_text(encoding="utf-8")
    (own / "ceshi_szxx.toml").write_text(builtin.replace('slug = "jact_demo"', 'slug = "ceshi_szxx"'),
                                         encoding="utf-8")
    config = tmp_path / "harvester.toml"
    config.write_text(f'db_url = "sqlite:///{tmp_path / "prod.db"}"\nstate_dir = "state"\nplatforms_dirs = ["platforms"]\n',
                      encoding="utf-8")
    report = json.loads(cli(config, "check", "--json").stdout)
    assert {c["platform"] for c in report["checks"]} == {"ceshi_szxx"}
    refused = cli(config, "harvest", "jact_demo")  # a built-in replica is not harvested unless switched on
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "HARVESTER_REPLICA_PLATFORMS=1" in "".join(refused.stderr.split())
    config.write_text(f'db_url = "sqlite:///{tmp_path / "prod.db"}"\nstate_dir = "state"\n', encoding="utf-8")
    nothing = cli(config, "check")
    assert nothing.returncode == 1 and "no platform is enabled" in nothing.stdout
    assert "replica_platforms = true" in nothing.stdout


def test_a_mistake_in_the_checks_section_is_one_clear_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", {"jact_demo": "http://127.0.0.1:9"},
                          extra="[checks.stalenes]\nmax_age_hours = 5\n")
    result = cli(config, "run")
    assert result.returncode == 2
    assert "[checks]: unknown monitor 'stalenes'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "state" / "run.lock").exists()  # refused before taking the lock or harvesting


def test_platforms_share_harvest_processes_and_each_keeps_its_own_run_and_log_name(
        tmp_path: Path, mailboxes: dict[str, str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'batch.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": mailboxes["jact"], "jact_demo_gbk": mailboxes["jact_gbk"]},
                          extra=QUIET + "[run]\nper_process = 2\n")
    process = start_run(config, "--json")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    report = json.loads(out)
    assert {h["platform"]: h["ok"] for h in report["harvests"]} == {"jact_demo": True, "jact_demo_gbk": True}
    assert len({h["log"] for h in report["harvests"]}) == 1  # one process crawled both
    logs = tmp_path / "state" / "logs"
    assert (logs / "jact_demo.log").resolve() == (logs / "jact_demo_gbk.log").resolve() == Path(
        report["harvests"][0]["log"]).resolve()
    assert {run["platform"]: run["outcome"] for run in runs_of(db_url)} == {"jact_demo": "succeeded",
                                                                           "jact_demo_gbk": "succeeded"}


def test_a_hung_platform_is_killed_at_the_time_limit_and_the_others_finish(tmp_path: Path,
                                                                          mailboxes: dict[str, str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'hung.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 5, "latency_ms": 120_000}}) as slow:
        config = write_config(tmp_path, db_url, {"jact_demo": slow["jact"], "jact_demo_gbk": mailboxes["jact_gbk"]},
                              extra=QUIET + "[run]\nper_process = 1\ntimeout_minutes = 0.25\n")
        started = time.monotonic()
        process = start_run(config, "--json")
        out, err = process.communicate(timeout=180)
        took = time.monotonic() - started
    assert process.returncode == 1, err
    harvests = {h["platform"]: h for h in json.loads(out)["harvests"]}
    assert harvests["jact_demo"]["ok"] is False and "killed at the time limit" in harvests["jact_demo"]["detail"]
    assert harvests["jact_demo_gbk"]["ok"] is True
    assert took < 120  # killed, not waited for
    outcomes = {run["platform"]: run["outcome"] for run in runs_of(db_url)}
    assert outcomes == {"jact_demo": "abandoned", "jact_demo_gbk": "succeeded"}


def test_check_reports_a_clearly_late_letter_when_the_years_holidays_are_missing_and_refuses_a_bad_file(
        tmp_path: Path) -> None:
    year = package_years().stop  # the first year chinesecalendar does not know (2027 with release 1.11)
    db_url = f"sqlite:///{tmp_path / 'late.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": "http://127.0.0.1:9"}, extra='state_dir = "state"\n')
    posted = datetime(year, 3, 2, 10, 0, tzinfo=SHANGHAI)
    with Store.open(db_url) as store, store.transaction() as repo:
        run_id = repo.start_run("jact_demo", 1)
        repo.upsert_messages([letter("1", posted_at=posted, kind=Kind.CONSULT, kind_raw="咨询")], run_id, posted)
    result = cli(config, "check", "--json", "-p", "jact_demo", "--at", f"{year}-04-20T10:00")
    assert result.returncode == 1, result.stderr  # never harvested successfully: a health check fails
    [overdue] = json.loads(result.stdout)["overdue"]  # the letter is reported apart, as 督办
    assert overdue["status"] == "failed" and overdue["figures"]["by_unit"] == {"市长信箱": 1}
    assert f"HOLIDAY CALENDAR MISSING for {year}" in overdue["detail"]
    bad = tmp_path / "holidays.toml"
    bad.write_text(f'[{year}]\nholidays = ["{year}-02-30"]\n', encoding="utf-8")
    refused = cli(config, "check", HARVESTER_HOLIDAYS_FILE=str(bad))
    said = "".join(refused.stderr.split())  # the console wraps long lines, even inside a path
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "".join(f"{bad}: [{year}] holidays: cannot read '{year}-02-30' as a date".split()) in said


def _environment_of_harvest_child(run: subprocess.Popen[str], deadline_s: float = 30) -> dict[str, str]:
    """The environment of the `harvester harvest` child of `run`, read from /proc while it is alive."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and run.poll() is None:
        for entry in Path("/proc").iterdir():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) if entry.name.isdigit() else 0
                if ppid == run.pid and b"harvest" in (entry / "cmdline").read_bytes():
                    raw = (entry / "environ").read_bytes().split(b"\0")
                    return dict(item.decode().partition("=")[::2] for item in raw if b"=" in item)
            except (OSError, IndexError, ValueError):
                continue
        time.sleep(0.05)
    raise AssertionError("no harvest child seen")


def test_harvest_children_of_a_run_get_no_reply_account_or_alert_key(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'env.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 5, "latency_ms": 120_000}}) as slow:
        config = write_config(tmp_path, db_url, {"jact_demo": slow["jact"]},
                              extra=QUIET + '[run]\ntimeout_minutes = 0.2\n[[alerts.webhooks]]\n'
                                            'url_env = "DUTY_HOOK"\n')
        secrets = {"HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD": "pw-Zjj-2026", "DUTY_HOOK": "http://127.0.0.1:9/k?key=z",
                   "HARVESTER_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook?key=abcd"}
        run = subprocess.Popen([sys.executable, "-m", "harvester", "run"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**harvester_env(config), **secrets})
        try:
            child = _environment_of_harvest_child(run)
        finally:
            run.communicate(timeout=120)
    assert child["HARVESTER_CONFIG"] == str(config.resolve()) and "PATH" in child
    assert set(child) & set(secrets) == set()
