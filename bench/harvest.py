"""Benchmark: harvest a 10,000-letter jact replica twice (full, then incremental after ~1% changed) and compare
with a plain Scrapy spider that fetches and parses the same pages and stores nothing.

Usage: python bench/harvest.py [--letters 10000] [--db-url URL] [--link-copies]
Prints messages/s, requests per run, peak RSS of each crawl process, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replicahost import control, replica_process  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a crawl process; return (seconds, its own peak RSS in MiB, stdout)."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+",
                                                                                     encoding="utf-8") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not the largest child's so far
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.stderr.write(stdout + stderr)
        raise SystemExit(f"{command[:4]} failed with {process.returncode}")
    return seconds, usage.ru_maxrss / 1024, stdout


def run_counts(db_url: str) -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    from harvester.store.db import Store

    with Store.open(db_url).transaction() as repo:
        return dict(repo.latest_runs(limit=1)[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight to the site, both crawls")
    parser.add_argument("--link-copies", action="store_true",
                        help="harvest with link_copies on (the replica's look-alike letters are a worst case)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        db_url = args.db_url or f"sqlite:///{tmp / 'bench.db'}"
        with replica_process(tmp, ["jact"], options={"jact": {"letters": args.letters}}) as urls:
            base = urls["jact"]
            public = control(base, "stats")["public"]
            config = tmp / "harvester.toml"
            config.write_text(f'db_url = "{db_url}"\nenabled = ["jact_demo"]\n'
                              f'link_copies = {"true" if args.link_copies else "false"}\n[platforms.jact_demo]\n'
                              f'base_url = "{base}"\nconcurrency = {args.concurrency}\n', encoding="utf-8")
            env = {**os.environ, "HARVESTER_CONFIG": str(config), "HARVESTER_LOG_LEVEL": "WARNING"}
            harvest = [sys.executable, "-m", "harvester", "harvest", "jact_demo"]

            base_s, base_mib, base_out = timed([sys.executable, "bench/baseline_spider.py", base, "6",
                                                str(args.concurrency)], env)
            full_s, full_mib, _ = timed(harvest, env)
            full = run_counts(db_url)
            moved = control(base, "advance", {"steps": 1})  # four hours of a busy mailbox: ~1-3% of letters move
            # The next cron run comes four hours later: every open letter is due for its re-check.
            incr_s, incr_mib, _ = timed(harvest, {**env, "HARVESTER_RECHECK_AFTER_HOURS": "0"})
            incr = run_counts(db_url)
    figures = {
        "letters": args.letters, "public_letters": public, "concurrency_per_site": args.concurrency,
        "link_copies": args.link_copies,
        "baseline": {"seconds": round(base_s, 1), "messages_per_s": round(public / base_s, 1),
                     "peak_rss_mib": round(base_mib), "output": base_out.strip()},
        "full": {"seconds": round(full_s, 1), "messages_per_s": round(full["items"] / full_s, 1),
                 "requests": full["requests"], "new": full["new"], "peak_rss_mib": round(full_mib)},
        "incremental": {"seconds": round(incr_s, 1), "requests": incr["requests"], "new": incr["new"],
                        "peak_rss_mib": round(incr_mib),
                        "unchanged": incr["unchanged"],
                        "changed": incr["changed"], "replica_moves": {k: len(v) for k, v in moved.items()
                                                                      if isinstance(v, list)}},
        "ratio_full_vs_baseline_throughput": round((full["items"] / full_s) / (public / base_s), 2),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
