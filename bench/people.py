"""Benchmark: harvest the 领导留言板 replica through the signed API path and through the browser path, and
compare their cost per message.

Usage: python bench/people.py [--per-board 1000] [--browser-per-board 60] [--variant KEY=VALUE ...]
(--variant: a shape of the site's answers, replicas/people/variants.py, e.g. list_rows_max=10 last_item_field=false)
Prints, per path: messages, requests, seconds (crawl, from the run record, and wall), messages/s, CPU seconds
per message and peak memory of the whole process tree (harvester, Playwright driver, Chromium); then the
browser path's cost per message as a ratio to the API path's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from replicahost import replica_process  # noqa: E402

from harvester.store.db import Store  # noqa: E402

SLUG = "people_demo"
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_rss_mib(root: int) -> float:
    """Resident memory of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry.name)], rss[int(entry.name)] = int(stat[1]), pages
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(rss.get(pid, 0) for pid in tree) * PAGE_KIB / 1024


def timed(env: dict[str, str]) -> dict[str, float]:
    """Run one `harvester harvest`; wall seconds, CPU seconds of it and its children, peak tree RSS (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "harvester", "harvest", SLUG], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    if process.returncode != 0:
        sys.stderr.write(out + err[-5000:])
        raise SystemExit(f"harvest failed with {process.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": time.monotonic() - started, "cpu": cpu, "peak_mib": peak[0]}


def run_path(tmp: Path, per_board: int, fetch: str, variant: dict[str, str]) -> dict[str, Any]:
    """A fresh replica (answering as `variant` says) and store, one full harvest through `fetch` ("http" = the
    signed API, or "browser")."""
    folder = tmp / fetch
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'bench.db'}"
    options = {"people": {"boards": 2, "per_board": per_board, "rate_per_s": 0, **variant}}
    with replica_process(folder, ["people"], options=options) as urls:
        config = folder / "harvester.toml"
        config.write_text(f'db_url = "{db_url}"\nenabled = ["{SLUG}"]\n[platforms.{SLUG}]\n'
                          f'base_url = "{urls["people"]}"\ndownload_delay = 0\nconcurrency = 16\n'
                          f'fetch = "{fetch}"\n', encoding="utf-8")
        env = {**os.environ, "HARVESTER_CONFIG": str(config), "HARVESTER_LOG_LEVEL": "WARNING"}
        cost = timed(env)
    with Store.open(db_url).transaction() as repo:
        run = repo.latest_runs(limit=1, platform=SLUG)[0]
    messages = run["items"]
    return {"messages": messages, "requests": run["requests"], "crawl_seconds": round(run["seconds"], 1),
            "wall_seconds": round(cost["wall"], 1), "messages_per_s": round(messages / run["seconds"], 1),
            "cpu_seconds_per_message": round(cost["cpu"] / messages, 4), "peak_rss_mib": round(cost["peak_mib"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-board", type=int, default=1000, help="messages per board for the API path")
    parser.add_argument("--browser-per-board", type=int, default=60, help="messages per board for the browser")
    parser.add_argument("--variant", nargs="*", default=[], metavar="KEY=VALUE",
                        help="answer variant of the replica (last_item_field, list_rows_max, content_time, data_type)")
    args = parser.parse_args()
    variant = dict(item.split("=", 1) for item in args.variant)
    with tempfile.TemporaryDirectory(prefix="bench-people-") as tmp_name:
        api = run_path(Path(tmp_name), args.per_board, "http", variant)
        browser = run_path(Path(tmp_name), args.browser_per_board, "browser", variant)
    per_message = {name: 1 / path["messages_per_s"] for name, path in (("api", api), ("browser", browser))}
    figures = {
        "variant": variant, "api_path": api, "browser_path": browser,
        "browser_cost_per_message_vs_api": {
            "seconds": round(per_message["browser"] / per_message["api"], 1),
            "cpu_seconds": round(browser["cpu_seconds_per_message"] / api["cpu_seconds_per_message"], 1)},
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
