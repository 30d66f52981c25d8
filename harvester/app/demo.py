"""`harvester demo`: replicas -> harvest -> store -> advance the replicas -> harvest again -> summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# platform slug -> replica name: a mayor mailbox (UTF-8 and GBK builds) and a Discuz! forum (UTF-8 and GBK)
DEMO_PLATFORMS = {"jact_demo": "jact", "jact_demo_gbk": "jact_gbk", "discuz_demo": "discuz",
                  "discuz_demo_gbk": "discuz_gbk"}
DEMO_DB = "harvester-demo.db"  # in the demo's working directory; never the configured store
DEMO_CONFIG = "harvester-demo.toml"  # kept after the demo, so `harvester monitor`, `runs` … can look inside
# What a demo harvest child keeps of the caller's HARVESTER_* variables: everything else (the configured
# store, platforms, config file, secrets) belongs to the deployment, not to the demo.
KEPT_VARIABLES = ("HARVESTER_CHROMIUM", "HARVESTER_LOG_LEVEL")


def start_replicas(tmp: Path, seed: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Serve the demo replicas in their own process (they stand for other people's websites)."""
    ports_file = tmp / "replicas.json"
    process = subprocess.Popen([sys.executable, "-m", "replicas", "serve", "--seed", str(seed),
                                "--only", ",".join(DEMO_PLATFORMS.values()), "--ports-file", str(ports_file)],
                               stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ports_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the replica server did not start")
        time.sleep(0.05)
    return process, json.loads(ports_file.read_text(encoding="utf-8"))


def write_config(directory: Path, db_url: str, urls: dict[str, str]) -> Path:
    """The demo's config file (`harvester-demo.toml` in `directory`): its store, its state, the demo platforms
    pointed at the replicas' ports."""
    lines = ["# written by `harvester demo`: its own store and the replicas it ran (they stop with the demo)",
             f"db_url = {json.dumps(db_url)}", 'state_dir = "harvester-demo-state"', "replica_platforms = true",
             f"enabled = {json.dumps(list(DEMO_PLATFORMS))}", ""]
    for slug, replica in DEMO_PLATFORMS.items():
        lines += [f"[platforms.{slug}]", f"base_url = {json.dumps(urls[replica])}", ""]
    path = directory / DEMO_CONFIG
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def advance(base_url: str, steps: int = 1) -> Any:
    request = urllib.request.Request(f"{base_url}/__replica__/advance",  # noqa: S310 - loopback replica
                                     data=json.dumps({"steps": steps}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback replica
        return json.loads(response.read())


def demo_env(config_path: Path, db_url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a demo harvest: the caller's, minus every HARVESTER_* setting but a few harmless
    ones, plus the demo's config file and store (HARVESTER_DB_URL would otherwise win over the file)."""
    env = dict(os.environ if env is None else env)
    kept = {k: v for k, v in env.items() if not k.startswith("HARVESTER_") or k in KEPT_VARIABLES}
    return {**kept, "HARVESTER_CONFIG": str(config_path), "HARVESTER_DB_URL": db_url}


def harvest_once(config_path: Path, db_url: str, log_path: Path, later: bool) -> int:
    """One `harvester harvest` process, its log appended to log_path.

    The replicas' advance stands for four hours passing, so the second round re-checks every open message
    (as the 4-hourly cron run would), not only those last seen over `recheck_after_hours` ago.
    """
    env = demo_env(config_path, db_url)
    if later:
        env["HARVESTER_RECHECK_AFTER_HOURS"] = "0"
    with log_path.open("a", encoding="utf-8") as log:
        return subprocess.call([sys.executable, "-m", "harvester", "harvest"], env=env, stdout=log, stderr=log)


def summary_table(rounds: list[tuple[str, list[dict[str, Any]]]]) -> Table:
    table = Table("round", "platform", "outcome", "new", "changed", "unchanged", "events", "requests", "seconds",
                  title="Demo summary")
    for label, runs in rounds:
        for run in runs:
            table.add_row(label, run["platform"], run["outcome"], str(run["new"]), str(run["changed"]),
                          str(run["unchanged"]), str(run["events"]), str(run["requests"]),
                          f"{run['seconds']:.1f}")
    return table


def absolute_sqlite(db_url: str, workdir: Path) -> str:
    """A relative SQLite path is taken relative to the demo's working directory."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and not Path(db_url[len(prefix):]).is_absolute():
        return prefix + str((workdir / db_url[len(prefix):]).resolve())
    return db_url


def demo_db_url(workdir: Path, db_url: str | None = None) -> str:
    """The demo's store: `db_url` when given on the command line, else ./harvester-demo.db in `workdir`.

    Never HARVESTER_DB_URL or the configured file's `db_url`: those name the deployment's (production) store,
    and the demo writes replica letters and a reply."""
    return absolute_sqlite(db_url or f"sqlite:///{DEMO_DB}", workdir)


def run_demo(console: Console, seed: int = 7, workdir: Path = Path("."), db_url: str | None = None) -> int:
    """Run the whole loop against local replicas in the demo's own store (`demo_db_url`); returns the exit code
    (0 when every run succeeded)."""
    from harvester.store.db import Store

    db_url = demo_db_url(workdir, db_url)
    store = Store.open(db_url)
    with tempfile.TemporaryDirectory(prefix="harvester-demo-") as tmp_name:
        tmp = Path(tmp_name)
        replicas, urls = start_replicas(tmp, seed)
        log_path = workdir / "harvester-demo.log"
        console.print(f"replicas up: {', '.join(f'{n} {u}' for n, u in urls.items())}; crawl log: {log_path}")
        try:
            config_path = write_config(workdir.resolve(), db_url, urls)
            rounds: list[tuple[str, list[dict[str, Any]]]] = []
            reply_id: int | None = None
            for label in ("first harvest", "after the replicas moved on"):
                if rounds:
                    reply_id = demo_reply(store, urls["jact"], console)
                    moved = {name: advance(url) for name, url in urls.items()}
                    console.print("replicas advanced four hours: " + ", ".join(
                        f"{n}: " + ", ".join(f"{len(v)} {k}" for k, v in m.items() if isinstance(v, list))
                        for n, m in moved.items()))
                code = harvest_once(config_path, db_url, log_path, later=bool(rounds))
                with store.transaction() as repo:
                    runs = repo.latest_runs(limit=len(DEMO_PLATFORMS))
                rounds.append((label, runs))
                if code != 0:
                    console.print(f"[red]harvest failed (exit {code}); see {log_path}[/red]")
        finally:
            replicas.kill()
            replicas.wait()
    console.print(summary_table(rounds))
    verified = True
    if reply_id is not None:
        from harvester.app.replies.demo import report_demo_reply

        verified = report_demo_reply(store, reply_id, console)
    look = f"HARVESTER_CONFIG={workdir / DEMO_CONFIG} harvester"
    console.print(f"store: {store.engine.url.render_as_string(hide_password=True)} — look inside with "
                  f"`{look} check`, `{look} runs`, `{look} changes --since 0`, `{look} export`"
                  + (" (unset HARVESTER_DB_URL first: it wins over the file)" if "HARVESTER_DB_URL" in os.environ
                     else ""))
    return 0 if verified and all(r["outcome"] == "succeeded" for _, runs in rounds for r in runs) else 1


def demo_reply(store: Any, jact_url: str, console: Console) -> int | None:
    """Approve and push one reply through the mailbox back office (Chromium); the next harvest verifies it."""
    from adapters.playwright_settings import chromium_launch_options

    if not Path(chromium_launch_options()["executable_path"]).exists():
        console.print("[yellow]reply leg skipped: Debian chromium is not installed (apt-get install chromium)[/]")
        return None
    from harvester.app.replies.demo import push_demo_reply

    return push_demo_reply(store, jact_url, console)
