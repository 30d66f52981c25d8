"""Benchmark: the whole pipeline against plain Scrapy on the same jact replica.

A full harvest (into an empty store) and a plain Scrapy spider that fetches and parses the same pages and stores
nothing (bench/baseline_spider.py) run as alternating pairs on one replica, baseline first in odd pairs and the
harvest first in even ones, so a busy minute on a shared machine falls on both sides; the ratio reported is the
median of the pairs' ratios. Then one incremental harvest after ~1% of the letters changed.

Usage: python bench/harvest.py [--letters 10000] [--pairs 5] [--db-url URL] [--link-copies] [--profile FILE]
Prints, per run and as medians: seconds, CPU seconds (user + system of the crawl process), messages/s, requests,
peak RSS, and the harvest's throughput relative to the baseline's (wall clock and CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replicahost import control, replica_process  # noqa: E402


@dataclass(frozen=True)
class Crawl:
    """One crawl process: wall seconds, CPU seconds (its own user + system), peak RSS in MiB, its stdout."""

    seconds: float
    cpu: float
    peak_mib: float
    stdout: str


def timed(command: list[str], env: dict[str, str]) -> Crawl:
    """Run a crawl process to its end and measure it."""
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
    return Crawl(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def run_counts(db_url: str) -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    from harvester.store.db import Store

    with Store.open(db_url).transaction() as repo:
        return dict(repo.latest_runs(limit=1)[0])


def harvest_env(tmp: Path, name: str, db_url: str, base: str, args: argparse.Namespace) -> dict[str, str]:
    """The environment of a harvest into `db_url` (its own config file `name`.toml)."""
    config = tmp / f"{name}.toml"
    config.write_text(f'db_url = "{db_url}"\nenabled = ["jact_demo"]\n'
                      f'link_copies = {"true" if args.link_copies else "false"}\n[platforms.jact_demo]\n'
                      f'base_url = "{base}"\nconcurrency = {args.concurrency}\n', encoding="utf-8")
    return {**os.environ, "HARVESTER_CONFIG": str(config), "HARVESTER_LOG_LEVEL": "WARNING"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=5, help="alternating (baseline, full harvest) pairs")
    parser.add_argument("--db-url", default=None, help="the last pair's store (default: SQLite files in a temp dir)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight to the site, both crawls")
    parser.add_argument("--link-copies", action="store_true",
                        help="harvest with link_copies on (the replica's look-alike letters are a worst case)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="also run one full harvest under cProfile (untimed) and write its stats here")
    args = parser.parse_args()
    harvest = [sys.executable, "-m", "harvester", "harvest", "jact_demo"]
    pairs = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        with replica_process(tmp, ["jact"], options={"jact": {"letters": args.letters}}) as urls:
            base = urls["jact"]
            public = control(base, "stats")["public"]
            baseline = [sys.executable, "bench/baseline_spider.py", base, "6", str(args.concurrency)]
            for number in range(1, args.pairs + 1):
                last = number == args.pairs
                db_url = args.db_url if args.db_url and last else f"sqlite:///{tmp / f'full-{number}.db'}"
                env = harvest_env(tmp, f"full-{number}", db_url, base, args)
                if number % 2:
                    plain, full = timed(baseline, env), timed(harvest, env)
                else:
                    full, plain = timed(harvest, env), timed(baseline, env)
                pairs.append((plain, full, run_counts(db_url)))
                print(f"pair {number}: baseline {plain.seconds:.1f} s, harvest {full.seconds:.1f} s", file=sys.stderr)
            moved = control(base, "advance", {"steps": 1})  # four hours of a busy mailbox: ~1-3% of letters move
            # The next cron run comes four hours later: every open letter is due for its re-check.
            incr = timed(harvest, {**env, "HARVESTER_RECHECK_AFTER_HOURS": "0"})
            incr_counts = run_counts(db_url)
            if args.profile:
                profile_env = harvest_env(tmp, "profiled", f"sqlite:///{tmp / 'profiled.db'}", base, args)
                timed([sys.executable, "-m", "cProfile", "-o", str(args.profile.resolve()), *harvest[1:]],
                      profile_env)
    print(json.dumps(figures(args, public, pairs, incr, incr_counts, moved), ensure_ascii=False, indent=2))


def figures(args: argparse.Namespace, public: int, pairs: list[tuple[Crawl, Crawl, dict[str, int]]], incr: Crawl,
            incr_counts: dict[str, int], moved: dict[str, object]) -> dict[str, object]:
    """The runs, and the medians over the pairs (a ratio is taken within each pair, then the median)."""
    wall = [(counts["items"] / full.seconds) / (public / plain.seconds) for plain, full, counts in pairs]
    cpu = [(counts["items"] / full.cpu) / (public / plain.cpu) for plain, full, counts in pairs]
    median = statistics.median
    return {
        "letters": args.letters, "public_letters": public, "concurrency_per_site": args.concurrency,
        "link_copies": args.link_copies, "pairs": len(pairs),
        "baseline": {"seconds": [round(p.seconds, 1) for p, _, _ in pairs],
                     "cpu_seconds": [round(p.cpu, 1) for p, _, _ in pairs],
                     "median_messages_per_s": round(median(public / p.seconds for p, _, _ in pairs), 1),
                     "peak_rss_mib": round(max(p.peak_mib for p, _, _ in pairs)),
                     "output": sorted({p.stdout.strip() for p, _, _ in pairs})},
        "full": {"seconds": [round(f.seconds, 1) for _, f, _ in pairs],
                 "cpu_seconds": [round(f.cpu, 1) for _, f, _ in pairs],
                 "median_messages_per_s": round(median(c["items"] / f.seconds for _, f, c in pairs), 1),
                 "requests": sorted({c["requests"] for _, _, c in pairs}),
                 "new": sorted({c["new"] for _, _, c in pairs}),
                 "peak_rss_mib": round(max(f.peak_mib for _, f, _ in pairs))},
        "incremental": {"seconds": round(incr.seconds, 1), "cpu_seconds": round(incr.cpu, 1),
                        "requests": incr_counts["requests"], "new": incr_counts["new"],
                        "peak_rss_mib": round(incr.peak_mib), "unchanged": incr_counts["unchanged"],
                        "changed": incr_counts["changed"],
                        "replica_moves": {k: len(v) for k, v in moved.items() if isinstance(v, list)}},
        "ratios_full_vs_baseline": [round(r, 2) for r in wall],
        "ratio_full_vs_baseline_throughput": round(median(wall), 2),
        "ratio_full_vs_baseline_cpu": round(median(cpu), 2),
    }


if __name__ == "__main__":
    main()
