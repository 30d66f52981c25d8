"""Benchmark: one cron tick of `harvester run` over a fleet of mailboxes, each its own site.

N jact replicas (bench/fleet_server.py, each on its own loopback address so Scrapy treats them as N hosts) are
onboarded by N definition files, as an operator would; then `harvester run` harvests them all (tick 1, the
backfill), the sites move on 4 hours, and it runs again (tick 2, the incremental tick cron repeats all day).
Politeness is per site (`--delay` seconds between requests), so a tick is bound by waiting, not by CPU.

Usage: python bench/fleet.py [--platforms 60] [--letters 40] [--delay 0.5] [--parallel 2] [--per-process 1]
Prints each tick's wall time, runs succeeded, requests and messages, and the time projected to --project sites.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = """slug = "{slug}"
name = "基准测试市{number}号 市长信箱"
family = "jact"
base_url = "{url}"
download_delay = {delay}
concurrency = 2
recheck_statuses = ["pending", "in_progress", "replied"]

[[boards]]
id = "6"
addressee = "市长信箱"
"""


def start_fleet(count: int, ports_file: Path, letters: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fleet_server.py"), str(count), str(ports_file),
                               "--letters", str(letters)], cwd=ROOT)
    deadline = time.monotonic() + 120
    while not ports_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("fleet server did not start")
        time.sleep(0.1)
    return server, json.loads(ports_file.read_text(encoding="utf-8"))


def advance(url: str) -> None:
    request = urllib.request.Request(f"{url}/__replica__/advance", data=b'{"steps": 1}',
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - loopback only
        pass


def tick(config: Path, db: Path, label: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env["HARVESTER_CONFIG"] = str(config)
    with sqlite3.connect(db) as connection:
        before = connection.execute("SELECT coalesce(max(id), 0) FROM harvest_runs").fetchone()[0]
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harvester", "run", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    seconds = time.monotonic() - started
    with sqlite3.connect(db) as connection:
        runs = connection.execute(
            "SELECT count(*), sum(outcome = 'succeeded'), sum(requests), sum(new), sum(changed) FROM harvest_runs"
            " WHERE id > ?", (before,)).fetchone()
    figures = {"seconds": seconds, "runs": runs[0], "succeeded": runs[1] or 0, "requests": runs[2] or 0,
               "new": runs[3] or 0, "changed": runs[4] or 0, "exit": result.returncode}
    print(f"{label}: {seconds:7.1f} s  runs {figures['runs']} ({figures['succeeded']} succeeded)  "
          f"requests {figures['requests']}  new {figures['new']}  changed {figures['changed']}  "
          f"exit {result.returncode}")
    failing = Counter(c["check"] for c in json.loads(result.stdout)["checks"] if c["status"] != "ok")
    if failing:  # the replicas' letters are weeks old: overdue ones are expected
        print(f"    checks not holding: {dict(failing)}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platforms", type=int, default=60)
    parser.add_argument("--letters", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.5, help="download_delay of every site, seconds")
    parser.add_argument("--parallel", type=int, default=2, help="[run] parallel: harvest processes at once")
    parser.add_argument("--per-process", type=int, default=1, help="[run] per_process: platforms per process")
    parser.add_argument("--project", type=int, default=300, help="project tick times to this many sites")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        work = Path(tmp)
        server, urls = start_fleet(args.platforms, work / "ports.json", args.letters)
        try:
            (work / "platforms").mkdir()
            for number, (slug, url) in enumerate(urls.items(), start=1):
                (work / "platforms" / f"{slug}.toml").write_text(
                    DEFINITION.format(slug=slug, number=number, url=url, delay=args.delay), encoding="utf-8")
            db = work / "fleet.db"
            config = work / "harvester.toml"
            config.write_text(
                f'db_url = "sqlite:///{db}"\nstate_dir = "{work / "state"}"\n'
                f'platforms_dirs = ["{work / "platforms"}"]\n'
                f"enabled = {json.dumps(list(urls))}\n\n[run]\nparallel = {args.parallel}\n"
                f"per_process = {args.per_process}\ntimeout_minutes = 120\n", encoding="utf-8")
            subprocess.run([sys.executable, "-m", "harvester", "db", "upgrade"], cwd=ROOT, check=True,
                           capture_output=True, env={**os.environ, "HARVESTER_CONFIG": str(config)})
            print(f"fleet: {args.platforms} sites x {args.letters} letters, download_delay {args.delay} s, "
                  f"parallel {args.parallel}, per_process {args.per_process}")
            first = tick(config, db, "tick 1 (backfill)   ")
            for url in urls.values():
                advance(url)
            second = tick(config, db, "tick 2 (incremental)")
            scale = args.project / args.platforms
            print(f"projected to {args.project} sites: backfill {first['seconds'] * scale / 60:.1f} min, "
                  f"incremental tick {second['seconds'] * scale / 60:.1f} min (cron every 360 min)")
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
