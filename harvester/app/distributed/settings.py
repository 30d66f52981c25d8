"""Distributed mode's settings: broker URL, queues' concurrency, task packing and the visibility timeout.

Read from the config object's `broker_url` and `distributed` section when it has them; the environment
(`HARVESTER_BROKER_URL`, `HARVESTER_VISIBILITY_TIMEOUT`, `HARVESTER_DISTRIBUTED_<KEY>`) wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harvester.config import ConfigError, HarvesterConfig
from harvester.store.urls import backend_name

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
# Platforms per harvest task: one process crawls them concurrently, each at its own site's pace. Measured over
# 300 sites (bench/fleet.py --distributed, docs/distributed.md): 25 per task, 2 tasks per worker made a one-worker
# incremental cycle 95 s against 140 s with 10 per task and 4 tasks (fewer process start-ups, 30% less CPU).
DEFAULT_PER_TASK = 25
DEFAULT_HTTP_CONCURRENCY = 2  # harvest tasks at once per HTTP worker process (each a child crawling per_task sites)
DEFAULT_BROWSER_CONCURRENCY = 1  # a browser task holds a Chromium (~1 GB)
_KEYS = {"broker_url", "per_task", "http_concurrency", "browser_concurrency", "visibility_timeout",
         "task_timeout_minutes", "beat_hours", "busy_retry_seconds"}


class DistributedRefused(ConfigError):
    """Distributed mode cannot run with this configuration (a SQLite store)."""


@dataclass(frozen=True, slots=True)
class DistributedSettings:
    """How workers and `harvester enqueue` talk to the broker and pack the work."""

    broker_url: str = DEFAULT_BROKER_URL
    per_task: int = DEFAULT_PER_TASK
    http_concurrency: int = DEFAULT_HTTP_CONCURRENCY
    browser_concurrency: int = DEFAULT_BROWSER_CONCURRENCY
    task_timeout_minutes: float = 60.0  # a harvest child is killed past it (as `[run] timeout_minutes`)
    visibility_timeout: float = 0.0  # 0: derived, above the longest harvest (see `effective_visibility_timeout`)
    beat_hours: tuple[int, ...] = (0, 6, 12, 18)  # Celery beat enqueues what is due at these hours (Asia/Shanghai)
    busy_retry_seconds: float = 60.0  # a platform another harvest holds is tried again this much later

    @property
    def effective_visibility_timeout(self) -> float:
        """Seconds a delivered task may stay unacknowledged before the broker gives it to another worker: above
        the longest harvest (the task time limit) with a margin, so a slow harvest is never delivered twice."""
        return self.visibility_timeout or self.task_timeout_minutes * 60 * 2 + 600


def require_postgres(config: HarvesterConfig) -> None:
    """Refuse distributed mode on anything but PostgreSQL: workers on many hosts need one shared store."""
    backend = backend_name(config.db_url)
    if backend != "postgresql":
        raise DistributedRefused(
            f"distributed mode needs a PostgreSQL store that every worker host reaches; db_url is {backend} "
            "(a SQLite file is one machine's). Set db_url = \"postgresql+psycopg://user@host/db\", or keep "
            "`harvester run` from cron for a single machine")


def _section(config: HarvesterConfig) -> dict[str, Any]:
    """The config's `[distributed]` table (a section object or a mapping), when the config has one."""
    section = getattr(config, "distributed", None)
    if section is None:
        return {}
    if isinstance(section, Mapping):
        return dict(section)
    return {key: getattr(section, key) for key in _KEYS if hasattr(section, key)}


def load_distributed_settings(config: HarvesterConfig, env: Mapping[str, str] | None = None) -> DistributedSettings:
    """The settings for this config: its `broker_url` and `[distributed]` table, under the environment
    (HARVESTER_BROKER_URL, HARVESTER_VISIBILITY_TIMEOUT, HARVESTER_DISTRIBUTED_<KEY> for any key of the table)."""
    env = os.environ if env is None else env
    table = _section(config)
    table.update({key: env[f"HARVESTER_DISTRIBUTED_{key.upper()}"] for key in _KEYS
                  if env.get(f"HARVESTER_DISTRIBUTED_{key.upper()}", "").strip()})
    broker = env.get("HARVESTER_BROKER_URL") or getattr(config, "broker_url", None) or table.get("broker_url")
    hours = table.get("beat_hours", (0, 6, 12, 18))
    try:
        return DistributedSettings(
            broker_url=str(broker or DEFAULT_BROKER_URL),
            per_task=max(1, int(table.get("per_task", DEFAULT_PER_TASK))),
            http_concurrency=max(1, int(table.get("http_concurrency", DEFAULT_HTTP_CONCURRENCY))),
            browser_concurrency=max(1, int(table.get("browser_concurrency", DEFAULT_BROWSER_CONCURRENCY))),
            task_timeout_minutes=float(table.get("task_timeout_minutes", 60.0)),
            visibility_timeout=float(env.get("HARVESTER_VISIBILITY_TIMEOUT") or table.get("visibility_timeout", 0)),
            beat_hours=tuple(int(h) for h in (hours.split(",") if isinstance(hours, str) else hours)),
            busy_retry_seconds=float(table.get("busy_retry_seconds", 60.0)),
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"[distributed] / HARVESTER_DISTRIBUTED_*: {error}") from error
