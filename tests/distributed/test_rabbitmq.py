"""The same cycle on RabbitMQ (the other broker our machines run), in a virtual host of its own: enqueued, shown
by `harvester queue` (counted: AMQP cannot be read without taking), harvested once by a worker."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.distributed.cluster import Workers, all_runs, cli, fleet, wait_for, write_fleet_config

pytestmark = pytest.mark.postgres  # RabbitMQ is installed and started by .ci/ensure-services.sh: never skipped


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A fresh virtual host on the local RabbitMQ (guest/guest), deleted afterwards; yields its broker URL."""
    vhost = f"harvester-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                       capture_output=True, timeout=60)
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


def test_a_cycle_on_rabbitmq_harvests_every_platform_once(tmp_path: Path, pg_url: str) -> None:
    with fleet(tmp_path, 6) as urls, rabbitmq_vhost() as broker_url:
        config = write_fleet_config(tmp_path, pg_url, urls)
        sent = cli(config, broker_url, "enqueue", "--json")
        assert sent.returncode == 0, sent.stderr[-3000:]
        assert len(json.loads(sent.stdout)["tasks"]) == 2  # 4 + 2 platforms
        queued = cli(config, broker_url, "queue", "--json")
        assert queued.returncode == 0, queued.stderr[-3000:]
        assert {"platform": "?", "state": "queued", "where": "http", "detail": "3 task(s)"} in \
            [json.loads(line) for line in queued.stdout.splitlines()]  # two harvests and the monitors
        workers = Workers(config, broker_url, tmp_path / "workers")
        workers.start("rabbit")
        try:
            wait_for(lambda: {r["platform"] for r in all_runs(pg_url) if r["outcome"] == "succeeded"} == set(urls),
                     120, "every platform harvested through RabbitMQ")
        finally:
            workers.stop()
        assert Counter(r["platform"] for r in all_runs(pg_url)) == {slug: 1 for slug in urls}
