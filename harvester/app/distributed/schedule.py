"""`harvester enqueue` and beat: what the store says is due, packed into harvest tasks, sent to the broker.

A platform is due unless its `[run] every_hours` has not passed since its last success, or a harvest of it is
running now. A task skips the platforms harvested since it was enqueued, so enqueueing twice costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import Celery

from harvester.app.distributed.batch import running_now
from harvester.app.distributed.names import BROWSER_QUEUE, HARVEST, HTTP_QUEUE, MONITORS, PUSH
from harvester.app.distributed.settings import load_distributed_settings
from harvester.app.operate import batches, due, load_run_settings, runs_alone
from harvester.config import HarvesterConfig
from harvester.registry import PlatformSpec, platforms_for
from harvester.store.db import Store
from harvester.timeutil import utcnow

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 2.0}


@dataclass(frozen=True, slots=True)
class Enqueued:
    """What one `enqueue` sent: harvest tasks (queue, platforms), push tasks, and the platforms not due."""

    at: datetime
    tasks: list[tuple[str, list[str]]] = field(default_factory=list)
    pushes: list[str] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)


def plan(slugs: Sequence[str], specs: Mapping[str, PlatformSpec], per_task: int) -> list[tuple[str, list[str]]]:
    """Harvest tasks for `slugs`: up to `per_task` HTTP platforms per task on `http`, each browser one alone on
    `browser` (a hung Chromium holds no other platform)."""
    return [(BROWSER_QUEUE if runs_alone(specs[batch[0]]) else HTTP_QUEUE, batch)
            for batch in batches(slugs, specs, per_task)]


def due_now(config: HarvesterConfig, store: Store, specs: Mapping[str, PlatformSpec], now: datetime) -> list[str]:
    """The platforms due by the store's view: by `[run] every_hours`, and not being harvested right now."""
    settings = load_distributed_settings(config)
    slugs = due(store, specs, load_run_settings(config).every_hours, now)
    running = running_now(store, slugs, timedelta(minutes=settings.task_timeout_minutes), now)
    return [slug for slug in slugs if slug not in running]


def replies_waiting(store: Store, slugs: Sequence[str]) -> list[str]:
    """Platforms with approved replies waiting to be pushed."""
    from harvester.store.outbox.claims import due as replies_due

    waiting = {reply.platform for reply in replies_due(store, slugs)}
    return [slug for slug in slugs if slug in waiting]


def enqueue(app: Celery, config: HarvesterConfig, monitors: bool = True) -> Enqueued:
    """Send a harvest task per batch of due platforms, a push task per platform with approved replies, and one
    monitors task. Raises kombu's OperationalError when the broker does not answer."""
    settings = load_distributed_settings(config)
    specs = platforms_for(config)
    now = utcnow()
    with Store.open(config.db_url) as store:
        slugs = due_now(config, store, specs, now)
        pushes = replies_waiting(store, list(specs))
    tasks = plan(slugs, specs, settings.per_task)
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=PUBLISH_RETRY["max_retries"])
        for queue, batch in tasks:
            app.send_task(HARVEST, args=[batch, now.isoformat()], queue=queue, connection=connection,
                          retry_policy=PUBLISH_RETRY)
        for slug in pushes:
            app.send_task(PUSH, args=[slug], queue=BROWSER_QUEUE, connection=connection, retry_policy=PUBLISH_RETRY)
        if monitors:
            app.send_task(MONITORS, queue=HTTP_QUEUE, connection=connection, retry_policy=PUBLISH_RETRY)
    return Enqueued(now, tasks, pushes, [slug for slug in specs if slug not in slugs])
