"""Distributed settings and packing, without a broker: where the broker URL comes from, the delivery settings
the app is built with, beat's schedule, and how due platforms are packed into tasks and queues."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.app.distributed.celeryapp import create_app
from harvester.app.distributed.names import BROWSER_QUEUE, ENQUEUE, HTTP_QUEUE
from harvester.app.distributed.schedule import plan
from harvester.app.distributed.settings import (
    DEFAULT_BROKER_URL,
    DistributedRefused,
    load_distributed_settings,
    require_postgres,
)
from harvester.config import ConfigError, load_config
from harvester.registry import platforms_for

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def config(tmp_path: Path, **env: str):  # noqa: ANN201 - the config object
    return load_config(env={"HARVESTER_DB_URL": PG, **env}, cwd=tmp_path)


def test_broker_url_defaults_to_local_redis_and_the_environment_wins(tmp_path: Path) -> None:
    assert load_distributed_settings(config(tmp_path)).broker_url == DEFAULT_BROKER_URL == "redis://127.0.0.1:6379/0"
    (tmp_path / "harvester.toml").write_text('[distributed]\nbroker_url = "redis://cache.internal:6379/2"\n',
                                             encoding="utf-8")
    assert load_distributed_settings(config(tmp_path)).broker_url == "redis://cache.internal:6379/2"
    env = {"HARVESTER_BROKER_URL": "amqp://guest:guest@mq.internal:5672//"}
    assert load_distributed_settings(config(tmp_path, **env)).broker_url == env["HARVESTER_BROKER_URL"]


def test_visibility_timeout_stays_above_the_task_time_limit(tmp_path: Path) -> None:
    settings = load_distributed_settings(config(tmp_path, HARVESTER_DISTRIBUTED_TASK_TIMEOUT_MINUTES="90"))
    assert settings.effective_visibility_timeout > 90 * 60
    fixed = load_distributed_settings(config(tmp_path, HARVESTER_VISIBILITY_TIMEOUT="45"))
    assert fixed.effective_visibility_timeout == 45


def test_a_malformed_setting_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="distributed"):
        load_distributed_settings(config(tmp_path, HARVESTER_DISTRIBUTED_PER_TASK="many"))


def test_sqlite_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DistributedRefused, match="needs a PostgreSQL store"):
        require_postgres(load_config(env={"HARVESTER_DB_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path))
    require_postgres(config(tmp_path))  # PostgreSQL: no complaint


def test_the_app_acknowledges_late_and_requeues_a_lost_worker_task(tmp_path: Path) -> None:
    loaded = config(tmp_path, HARVESTER_BROKER_URL="redis://127.0.0.1:1/0", HARVESTER_DISTRIBUTED_BEAT_HOURS="6,18")
    app = create_app(loaded, load_distributed_settings(loaded))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > 60 * 60
    assert {q.name for q in app.conf.task_queues} == {HTTP_QUEUE, BROWSER_QUEUE}
    entry = app.conf.beat_schedule["enqueue-due"]
    assert entry["task"] == ENQUEUE and entry["schedule"].hour == {6, 18}


def test_http_platforms_are_packed_and_browser_ones_go_alone_to_the_browser_queue(tmp_path: Path) -> None:
    specs = platforms_for(config(tmp_path, HARVESTER_REPLICA_PLATFORMS="1"))
    assert "people_demo" in specs and "jact_demo" in specs
    tasks = plan(list(specs), specs, per_task=3)
    assert (BROWSER_QUEUE, ["people_demo"]) in tasks
    http = [batch for queue, batch in tasks if queue == HTTP_QUEUE]
    assert all(len(batch) <= 3 for batch in http) and len(http) >= 2
    assert sorted(slug for _, batch in tasks for slug in batch) == sorted(specs)


def test_shard_boards_comes_from_the_file_or_the_environment_and_refuses_nonsense(tmp_path: Path) -> None:
    assert load_distributed_settings(config(tmp_path)).shard_boards == 50
    (tmp_path / "harvester.toml").write_text("[distributed]\nshard_boards = 120\n", encoding="utf-8")
    assert load_distributed_settings(config(tmp_path)).shard_boards == 120
    assert load_distributed_settings(config(tmp_path, HARVESTER_DISTRIBUTED_SHARD_BOARDS="3")).shard_boards == 3
    with pytest.raises(ConfigError, match="shard_boards"):
        config(tmp_path, HARVESTER_DISTRIBUTED_SHARD_BOARDS="0")
