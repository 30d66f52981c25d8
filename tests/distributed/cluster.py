"""Real parts for distributed tests: a private Redis server (stopped and restarted at will), a fleet of jact
replicas each on its own loopback address, `harvester worker` processes with distinct node names, and reads of
the PostgreSQL store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from harvester.store.db import Store
from tests.harvesting import ROOT

DEFINITION = """slug = "{slug}"
name = "分布式测试市{number}号 市长信箱"
family = "jact"
base_url = "{url}"
download_delay = {delay}
concurrency = {concurrency}
recheck_statuses = ["pending", "in_progress", "replied"]

[[boards]]
id = "6"
addressee = "市长信箱"
"""


def wait_for(condition: Callable[[], Any], timeout: float, what: str, poll: float = 0.2) -> Any:
    """Poll `condition` until it returns something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """redis-server on a free port with an append-only file, so a stop and start keeps the queues."""

    def __init__(self, workdir: Path) -> None:
        self.dir, self.port = workdir, free_port()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"],
            stdout=(self.dir / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port)
        wait_for(lambda: self._ping(client), 20, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def fleet(workdir: Path, count: int, letters: int = 12, latency_ms: int = 5) -> Iterator[dict[str, str]]:
    """`count` jact replicas (bench/fleet_server.py), each its own site; yields {slug: base_url}."""
    ports = workdir / "fleet-ports.json"
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fleet_server.py"), str(count), str(ports),
                               "--letters", str(letters), "--latency-ms", str(latency_ms)], cwd=ROOT)
    try:
        wait_for(lambda: ports.exists() or server.poll() is not None, 60, "the replica fleet to listen")
        assert server.poll() is None, "the replica fleet exited"
        yield json.loads(ports.read_text(encoding="utf-8"))
    finally:
        server.kill()
        server.wait()


def write_fleet_config(workdir: Path, db_url: str, urls: dict[str, str], delay: float = 0.0, concurrency: int = 2,
                       extra: str = "") -> Path:
    """Definition files for the fleet and a harvester.toml naming them and the store."""
    platforms = workdir / "platforms"
    platforms.mkdir(exist_ok=True)
    for number, (slug, url) in enumerate(urls.items(), start=1):
        (platforms / f"{slug}.toml").write_text(DEFINITION.format(slug=slug, number=number, url=url, delay=delay,
                                                                  concurrency=concurrency), encoding="utf-8")
    config = workdir / "harvester.toml"
    config.write_text(f"db_url = {json.dumps(db_url)}\nstate_dir = {json.dumps(str(workdir / 'state'))}\n"
                      f"platforms_dirs = [{json.dumps(str(platforms))}]\nenabled = {json.dumps(list(urls))}\n\n"
                      f"{extra}\n", encoding="utf-8")
    return config


# `[distributed]` for the tests, through the environment (the same keys): small tasks, quick retries of a busy
# platform, and a visibility timeout above the longest test harvest but short enough to see a redelivery.
TEST_SETTINGS = {"HARVESTER_DISTRIBUTED_PER_TASK": "4", "HARVESTER_DISTRIBUTED_BUSY_RETRY_SECONDS": "1",
                 "HARVESTER_VISIBILITY_TIMEOUT": "30"}


def cluster_env(config: Path, broker_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    return {**env, **TEST_SETTINGS, "HARVESTER_CONFIG": str(config), "HARVESTER_BROKER_URL": broker_url, **extra}


class Workers:
    """`harvester worker` processes, each with its own node name (as on its own host)."""

    def __init__(self, config: Path, broker_url: str, logs: Path, **env: str) -> None:
        self.env = cluster_env(config, broker_url, **env)
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, concurrency: int = 2, queues: str = "http", *extra: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", "harvester", "worker", "-n", f"{name}@%h", "--queues",
                                    queues, "--concurrency", str(concurrency), "--loglevel", "INFO", *extra],
                                   cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def wait_ready(self, timeout: float = 60) -> None:
        for name in self.processes:
            wait_for(lambda n=name: "ready." in (self.logs / f"{n}.log").read_text(errors="replace"), timeout,
                     f"worker {name} to be ready")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cli(config: Path, broker_url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harvester", *args], cwd=ROOT, text=True, capture_output=True,
                          timeout=timeout, env=cluster_env(config, broker_url))


def all_runs(db_url: str) -> list[dict[str, Any]]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return repo.latest_runs(limit=10_000)


def message_counts(db_url: str) -> dict[str, int]:
    with Store.open(db_url) as store, store.transaction() as repo:
        return repo.counts()
