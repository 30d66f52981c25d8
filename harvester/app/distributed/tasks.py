"""The tasks: harvest a batch of platforms, push one platform's approved replies, run the monitors, enqueue
what is due (Celery beat's entry). Each runs its work in a child process, as `harvester run` does."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from typing import Any

from celery import Celery, Task

from harvester.app.distributed.batch import harvest_batch
from harvester.app.distributed.keptbrowser import browser_for
from harvester.app.distributed.names import ENQUEUE, HARVEST, MONITORS, PUSH
from harvester.app.distributed.schedule import enqueue
from harvester.app.distributed.settings import load_distributed_settings
from harvester.app.operate import secret_variables
from harvester.app.runs_children import die_with_parent
from harvester.childenv import push_env
from harvester.config import load_config

logger = logging.getLogger(__name__)


def harvest(task: Task, slugs: list[str], enqueued_at: str) -> dict[str, Any]:
    """Harvest `slugs` (platforms, or one board shard `<slug>#2/4`: those not harvested since `enqueued_at`); a
    target another harvest holds is tried again later in a task of its own."""
    config = load_config()
    settings = load_distributed_settings(config)
    with browser_for(_queue(task)):  # a browser task's child connects to this process's kept Chromium
        result = harvest_batch(config, slugs, datetime.fromisoformat(enqueued_at), settings.task_timeout_minutes * 60)
    logger.info("harvested %s; skipped (done since enqueued) %s; busy %s; failed %s", sorted(result.harvested),
                result.skipped, result.busy, sorted(result.failed))
    if result.busy:
        task.app.send_task(HARVEST, args=[result.busy, enqueued_at], queue=_queue(task),
                           countdown=settings.busy_retry_seconds)
    return {"harvested": result.harvested, "skipped": result.skipped, "busy": result.busy, "failed": result.failed}


def _queue(task: Task) -> str | None:
    """The queue the task was delivered on (its routing key), or None."""
    return (task.request.delivery_info or {}).get("routing_key") or None


def push(task: Task, slug: str) -> int:
    """`harvester push --platform SLUG` in a child (the outbox's claims make a second delivery send nothing)."""
    config = load_config()
    with browser_for(_queue(task)):  # its reply adapters connect to this process's kept Chromium
        env = push_env(os.environ, secret_variables(config))
        if config.config_file is not None:
            env["HARVESTER_CONFIG"] = str(config.config_file.resolve())
        return subprocess.call([sys.executable, "-m", "harvester", "push", "--platform", slug], env=env,
                               preexec_fn=die_with_parent())


def monitors() -> int:
    """`harvester check --alert` in a child: the monitors on the store as it is now, alerts as configured."""
    return subprocess.call([sys.executable, "-m", "harvester", "check", "--alert"], env=dict(os.environ),
                           stdout=subprocess.DEVNULL, preexec_fn=die_with_parent())


def enqueue_due(task: Task) -> int:
    """Beat's entry: enqueue what the store says is due (the same as `harvester enqueue`)."""
    return len(enqueue(task.app, load_config()).tasks)


def register(app: Celery) -> None:
    """Register the tasks on `app` under stable names (what `celery inspect` and Flower show)."""
    app.task(name=HARVEST, bind=True)(harvest)
    app.task(name=PUSH, bind=True)(push)
    app.task(name=MONITORS)(monitors)
    app.task(name=ENQUEUE, bind=True)(enqueue_due)
