"""Benchmark: one cron tick of `harvester run` over a fleet of mailboxes, each its own site.

N jact replicas (bench/fleet_server.py, each on its own loopback address so Scrapy treats them as N hosts) are
onboarded by N definition files, as an operator would; then `harvester run` harvests them all (tick 1, the
backfill), the sites move on 4 hours, and it runs again (tick 2, the incremental tick cron repeats all day).
Politeness is per site (`--delay` seconds between requests), so a tick is bound by waiting, not by CPU.

Usage: python bench/fleet.py [--platforms 60] [--letters 40] [--delay 1.0] [--parallel P] [--per-process N]
Prints each tick's wall time, runs succeeded, requests and messages, and the time projected to --project sites.

Distributed mode: python bench/fleet.py --distributed --platforms 300 [--workers 1,2,4] [--per-task N]
[--concurrency C]: a private Redis and PostgreSQL (initdb, as the postgres user when root), `harvester worker`
processes. Each worker count starts from the same state (the same sites, an empty database), so each does the
same work: a backfill with the most workers, the sites move on 4 hours, and one incremental cycle
(`harvester enqueue` until every platform's run has ended) is timed. Prints each cycle's time and throughput,
the machine's CPU use and each part's CPU seconds (sites, Redis, store, harvester), and the scaling ratio
against the first count (target >= 0.8 x N).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harvester.definition.template import DEFINITION as NEW_DEFINITION  # noqa: E402

# Politeness as the product sets it: the download_delay `harvester platforms new` writes into a new definition.
DEFAULT_DELAY = float(re.search(r"^download_delay = ([0-9.]+)", NEW_DEFINITION, re.M).group(1))  # type: ignore[union-attr]
SITE_CONCURRENCY = int(re.search(r"^concurrency = ([0-9]+)", NEW_DEFINITION, re.M).group(1))  # type: ignore[union-attr]
DEFINITION = """slug = "{slug}"
name = "基准测试市{number}号 市长信箱"
family = "jact"
base_url = "{url}"
download_delay = {delay}
concurrency = {concurrency}
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


# --- distributed mode: Celery workers on a private Redis and a private PostgreSQL ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def _start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work),
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    _wait(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip()
          == b"PONG", 20, "redis-server")
    return server, f"redis://127.0.0.1:{port}/0"


def _private_postgres(work: Path) -> tuple[str, Callable[[], None]]:
    """A PostgreSQL cluster of the bench's own (initdb as the postgres user, a free port, max_connections 800): the
    harvests of hundreds of platforms at once hold a connection each (the per-platform lock), more than a shared
    server should give one benchmark."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data, port = work / "pg", _free_port()
    data.mkdir()
    work.chmod(0o711)  # the postgres user reaches its folder through the bench's private one
    shutil.chown(data, "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_postgres, str(binaries / "initdb"), "-D", str(data / "data"), "-A", "trust", "-U",
                    "postgres"], check=True, capture_output=True)
    subprocess.run([*as_postgres, str(binaries / "pg_ctl"), "-D", str(data / "data"), "-l", str(data / "log"), "-w",
                    "-o", f"-p {port} -k {data} -c max_connections=800 -c shared_buffers=256MB", "start"],
                   check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*as_postgres, str(binaries / "pg_ctl"), "-D", str(data / "data"), "-m", "immediate",
                        "stop"], capture_output=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


def _finished_since(db_url: str, after: int) -> tuple[int, int, int, int]:
    """Runs newer than `after`: (platforms finished, succeeded, requests, new)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT count(DISTINCT platform) FILTER (WHERE outcome <> 'running'), count(*) FILTER (WHERE outcome"
                " = 'succeeded'), coalesce(sum(requests), 0), coalesce(sum(new), 0) FROM harvest_runs WHERE id > :a"),
                {"a": after}).one()
            return int(row[0]), int(row[1]), int(row[2]), int(row[3])
    finally:
        engine.dispose()


def _last_run(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT coalesce(max(id), 0) FROM harvest_runs")).scalar_one())
    finally:
        engine.dispose()


def _cpu_ticks() -> tuple[int, int]:
    """The machine's CPU time so far (busy, total), in clock ticks of every core (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _process_cpu(pid: int, with_children: bool = False) -> float:
    """CPU seconds a process has used (and its waited-for children's: a postmaster's exited backends)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if with_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Cluster:
    """The bench's private parts: Redis, a PostgreSQL cluster (a database per run), and the pids to meter."""

    broker: str
    server_url: str  # the cluster's maintenance database; each run creates its own
    redis_pid: int
    postmaster_pid: int


def distributed_cycle(env: dict[str, str], db_url: str, workers: int, concurrency: int, platforms: int,
                      logs: Path, label: str, meter: dict[str, int]) -> dict[str, float]:
    """Start `workers` worker processes, enqueue what is due, time until every platform's run has ended; the
    machine's CPU over that time, and each part's CPU seconds (`meter`: pid of the sites' server, of Redis, of
    the postmaster)."""
    processes = []
    parts_before = {name: _process_cpu(pid, name == "store") for name, pid in meter.items()}
    for number in range(workers):
        log = logs / f"{label.split()[0]}-{workers}w-{number}.log"
        processes.append((subprocess.Popen(
            [sys.executable, "-m", "harvester", "worker", "-n", f"bench{number}@%h", "--concurrency",
             str(concurrency), "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=log.open("w"),
            stderr=subprocess.STDOUT), log))
    try:
        _wait(lambda: all(_pings(env, number) for number in range(workers)), 120, "the workers to start")
        before = _last_run(db_url)
        cpu_before, started = _cpu_ticks(), time.monotonic()
        subprocess.run([sys.executable, "-m", "harvester", "enqueue"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        _wait(lambda: _finished_since(db_url, before)[0] >= platforms, 3600, f"{label} to finish")
        seconds, cpu_after = time.monotonic() - started, _cpu_ticks()
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            process.wait(timeout=120)
    done, succeeded, requests, new = _finished_since(db_url, before)
    busy = (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    parts = {name: _process_cpu(pid, name == "store") - parts_before[name] for name, pid in meter.items()}
    total = (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK")
    # The rest of the machine's CPU over the cycle: the workers, their tasks' children (forked by forkservers that
    # are not reaped by this process, so no rusage of ours holds them), enqueue, this bench. The store's share is
    # read after the workers stopped (a backend's CPU reaches its postmaster when it exits).
    parts["harvester"] = total - sum(parts.values())
    print(f"{label} {workers} worker(s) x {concurrency}: {seconds:7.1f} s  platforms {done} ({succeeded} succeeded)"
          f"  requests {requests}  new {new}  throughput {platforms / seconds * 60:6.1f} platforms/min, "
          f"{requests / seconds:5.1f} requests/s", flush=True)
    print(f"    machine CPU over the cycle: {busy:.0%} busy of {os.cpu_count()} cores, {total:.0f} CPU-s: "
          + ", ".join(f"{name} {value:.0f}" for name, value in parts.items())
          + " (harvester: the rest: workers, their tasks, enqueue, this bench)", flush=True)
    return {"seconds": seconds, "succeeded": succeeded, "busy": busy, "requests": requests, **parts}


def _pings(env: dict[str, str], number: int) -> bool:
    from harvester.app.distributed.celeryapp import create_app
    from harvester.config import load_config

    app = create_app(load_config(env=env))
    return bool(app.control.ping(destination=[f"bench{number}@{socket.gethostname()}"], timeout=1.0))


def _create_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def fresh_cycle(args: argparse.Namespace, cluster: Cluster, work: Path, workers: int, backfill_workers: int,
                concurrency: int) -> dict[str, float]:
    """One worker count from the same start: the same sites (same seed) and an empty store, backfilled, the sites
    moved on 4 hours, then the timed incremental cycle; so every worker count does the same work."""
    work.mkdir()
    server, urls = start_fleet(args.platforms, work / "ports.json", args.letters)
    try:
        db_url = _create_database(cluster.server_url, work.name)
        (work / "platforms").mkdir()
        for number, (slug, url) in enumerate(urls.items(), start=1):
            (work / "platforms" / f"{slug}.toml").write_text(
                DEFINITION.format(slug=slug, number=number, url=url, delay=args.delay,
                                  concurrency=SITE_CONCURRENCY), encoding="utf-8")
        config = work / "harvester.toml"
        config.write_text(f'db_url = "{db_url}"\nstate_dir = "{work / "state"}"\n'
                          f'platforms_dirs = ["{work / "platforms"}"]\nenabled = {json.dumps(list(urls))}\n',
                          encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
        env.update(HARVESTER_CONFIG=str(config), HARVESTER_BROKER_URL=cluster.broker)
        if args.per_task:
            env["HARVESTER_DISTRIBUTED_PER_TASK"] = str(args.per_task)
        subprocess.run([sys.executable, "-m", "harvester", "db", "upgrade"], cwd=ROOT, check=True,
                       capture_output=True, env=env)
        (work / "logs").mkdir()
        meter = {"sites": server.pid, "redis": cluster.redis_pid, "store": cluster.postmaster_pid}
        distributed_cycle(env, db_url, backfill_workers, concurrency, args.platforms, work / "logs", "backfill   ",
                          meter)
        for url in urls.values():
            advance(url)
        return distributed_cycle(env, db_url, workers, concurrency, args.platforms, work / "logs", "incremental",
                                 meter)
    finally:
        server.kill()
        server.wait()


def main_distributed(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="fleet-dist-") as tmp, ExitStack() as cleanup:
        work = Path(tmp)
        redis, broker = _start_redis(work)
        cleanup.callback(lambda: (redis.kill(), redis.wait()))
        server_url, stop = _private_postgres(work)
        cleanup.callback(stop)
        postmaster = int((work / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        cluster = Cluster(broker, server_url, redis.pid, postmaster)
        from harvester.config import DEFAULTS

        concurrency = args.concurrency or DEFAULTS.distributed.http_concurrency
        print(f"fleet: {args.platforms} sites x {args.letters} letters, download_delay {args.delay} s, concurrency "
              f"{SITE_CONCURRENCY} per site, {args.per_task or DEFAULTS.distributed.per_task} platforms per task, "
              f"{concurrency} tasks per worker; each worker count from the same start", flush=True)
        cycles = {}
        for workers in counts:
            cycles[workers] = fresh_cycle(args, cluster, work / f"w{workers}", workers, max(counts), concurrency)
        base = counts[0]
        for workers in counts[1:]:
            ratio = cycles[base]["seconds"] / cycles[workers]["seconds"] * base
            print(f"scaling {base} -> {workers} workers: throughput x{ratio:.2f} (target >= {0.8 * workers:.1f}"
                  f" for N = {workers}); machine CPU {cycles[base]['busy']:.0%} -> {cycles[workers]['busy']:.0%}"
                  f" busy")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platforms", type=int, default=60)
    parser.add_argument("--letters", type=int, default=40)
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY, help="download_delay of every site, seconds "
                        "(default: what `harvester new-platform` writes into a new definition)")
    parser.add_argument("--parallel", type=int, default=0, help="[run] parallel: harvest processes at once "
                        "(default: the product's)")
    parser.add_argument("--per-process", type=int, default=0, help="[run] per_process: platforms per process "
                        "(default: the product's)")
    parser.add_argument("--project", type=int, default=300, help="project tick times to this many sites")
    parser.add_argument("--distributed", action="store_true", help="Celery workers on Redis and PostgreSQL instead "
                        "of `harvester run`: one backfill, then an incremental cycle per --workers count")
    parser.add_argument("--workers", default="1,2,4", help="distributed: worker processes per cycle")
    parser.add_argument("--per-task", type=int, default=0, help="distributed: platforms per task (default: the "
                        "product's)")
    parser.add_argument("--concurrency", type=int, default=0, help="distributed: tasks at once per worker "
                        "(default: the product's)")
    args = parser.parse_args()
    if args.distributed:
        main_distributed(args)
        return
    from harvester.config import DEFAULTS

    args.parallel = args.parallel or DEFAULTS.run.parallel
    args.per_process = args.per_process or DEFAULTS.run.per_process
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        work = Path(tmp)
        server, urls = start_fleet(args.platforms, work / "ports.json", args.letters)
        try:
            (work / "platforms").mkdir()
            for number, (slug, url) in enumerate(urls.items(), start=1):
                (work / "platforms" / f"{slug}.toml").write_text(
                    DEFINITION.format(slug=slug, number=number, url=url, delay=args.delay,
                                  concurrency=SITE_CONCURRENCY), encoding="utf-8")
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
