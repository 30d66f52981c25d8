"""Distributed mode's settings: broker URL, queues' concurrency, task packing and the visibility timeout.

A view on the settings object's `[distributed]` section; the environment (`HARVESTER_BROKER_URL`,
`HARVESTER_VISIBILITY_TIMEOUT`, `HARVESTER_DISTRIBUTED_<KEY>`) is applied by load_config.
"""

from __future__ import annotations

from dataclasses import dataclass

from harvester.config import DEFAULTS, ConfigError, HarvesterConfig
from harvester.store.urls import backend_name

DEFAULT_BROKER_URL = DEFAULTS.distributed.broker_url
DEFAULT_SHARD_BOARDS = DEFAULTS.distributed.shard_boards  # why 50: harvester/config.py


class DistributedRefused(ConfigError):
    """Distributed mode cannot run with this configuration (a SQLite store)."""


@dataclass(frozen=True, slots=True)
class DistributedSettings:
    """How workers and `harvester enqueue` talk to the broker and pack the work: the settings object's
    `[distributed]` section (defaults and their reasons in harvester/config.py)."""

    broker_url: str
    per_task: int
    http_concurrency: int
    browser_concurrency: int
    task_timeout_minutes: float
    visibility_timeout: float  # 0: derived, above the longest harvest (see `effective_visibility_timeout`)
    beat_hours: tuple[int, ...]
    busy_retry_seconds: float
    shard_boards: int = DEFAULT_SHARD_BOARDS

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


def load_distributed_settings(config: HarvesterConfig) -> DistributedSettings:
    """The config's `[distributed]` section (load_config applied HARVESTER_BROKER_URL,
    HARVESTER_VISIBILITY_TIMEOUT and HARVESTER_DISTRIBUTED_<KEY> on top of the file)."""
    section = config.distributed
    return DistributedSettings(
        broker_url=section.broker_url, per_task=section.per_task, http_concurrency=section.http_concurrency,
        browser_concurrency=section.browser_concurrency, task_timeout_minutes=section.task_timeout_minutes,
        visibility_timeout=section.visibility_timeout, beat_hours=tuple(section.beat_hours),
        busy_retry_seconds=section.busy_retry_seconds, shard_boards=section.shard_boards)

