"""`harvester enqueue` and beat: what the store says is due, packed into harvest tasks, sent to the broker.

A platform is due unless its `[run] every_hours` has not passed since its last success, or a harvest of it is
running now. A platform with more boards than `[distributed] shard_boards` is enqueued as board shards
(shards.py), each due by its own runs the same way and sent as a task of its own. A task skips the targets
harvested since it was enqueued, so enqueueing twice costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import Celery

from harvester.app.distributed.batch import running_now, target_runs
from harvester.app.distributed.names import BROWSER_QUEUE, HARVEST, HTTP_QUEUE, MONITORS, PUSH
from harvester.app.distributed.settings import load_distributed_settings
from harvester.app.distributed.shards import Shard, parse_target, shards_of
from harvester.app.operate import DUE_SLACK, batches, due, load_run_settings, runs_alone
from harvester.config import HarvesterConfig
from harvester.registry import PlatformSpec, platforms_for
from harvester.store.db import Store
from harvester.timeutil import utcnow

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 2.0}


@dataclass(frozen=True, slots=True)
class Enqueued:
    """What one `enqueue` sent: harvest tasks (queue, targets: platforms, or a shard `<slug>#2/4`), push tasks,
    and the targets not due."""

    at: datetime
    tasks: list[tuple[str, list[str]]] = field(default_factory=list)
    pushes: list[str] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)


def plan(targets: Sequence[str], specs: Mapping[str, PlatformSpec], per_task: int) -> list[tuple[str, list[str]]]:
    """Harvest tasks for `targets`: up to `per_task` HTTP platforms per task on `http`, each browser one alone on
    `browser` (a hung Chromium holds no other platform), and each board shard alone on its platform's queue (the
    shards of one platform go to whichever workers are free, on any host)."""
    slugs = [target for target in targets if parse_target(target)[1] is None]
    shards = [[target] for target in targets if parse_target(target)[1] is not None]
    return [(BROWSER_QUEUE if runs_alone(specs[parse_target(batch[0])[0]]) else HTTP_QUEUE, batch)
            for batch in batches(slugs, specs, per_task) + shards]


def all_targets(specs: Mapping[str, PlatformSpec], shard_boards: int) -> list[str]:
    """Every platform as it is harvested: whole, or as its board shards' targets."""
    return [target for slug, spec in specs.items()
            for target in ([s.target for s in shards_of(spec, shard_boards)] or [slug])]


def shard_due(store: Store, shard: Shard, every_hours: float | None, now: datetime) -> bool:
    """Whether the shard is due by `[run] every_hours` of its platform: no success of its own recent enough."""
    if not every_hours:
        return True
    succeeded = [r["finished_at"] for r in target_runs(store, shard.target, 20)
                 if r["outcome"] == "succeeded" and r["finished_at"] is not None]
    return not succeeded or now - max(succeeded) >= timedelta(hours=every_hours) - DUE_SLACK


def due_now(config: HarvesterConfig, store: Store, specs: Mapping[str, PlatformSpec], now: datetime) -> list[str]:
    """The targets due by the store's view (platforms, and the shards of those harvested in shards): by
    `[run] every_hours`, and not being harvested right now."""
    settings, every = load_distributed_settings(config), load_run_settings(config).every_hours
    targets = all_targets(specs, settings.shard_boards)
    whole = {slug: specs[slug] for slug in targets if slug in specs}
    due_whole = set(due(store, whole, every, now))
    due_targets = [target for target in targets if target in due_whole or (
        (shard := parse_target(target)[1]) is not None and shard_due(store, shard, every.get(shard.slug), now))]
    running = running_now(store, due_targets, timedelta(minutes=settings.task_timeout_minutes), now)
    return [target for target in due_targets if target not in running]


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
        targets = due_now(config, store, specs, now)
        pushes = replies_waiting(store, list(specs))
    tasks = plan(targets, specs, settings.per_task)
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=PUBLISH_RETRY["max_retries"])
        for queue, batch in tasks:
            app.send_task(HARVEST, args=[batch, now.isoformat()], queue=queue, connection=connection,
                          retry_policy=PUBLISH_RETRY)
        for slug in pushes:
            app.send_task(PUSH, args=[slug], queue=BROWSER_QUEUE, connection=connection, retry_policy=PUBLISH_RETRY)
        if monitors:
            app.send_task(MONITORS, queue=HTTP_QUEUE, connection=connection, retry_policy=PUBLISH_RETRY)
    not_due = [target for target in all_targets(specs, settings.shard_boards) if target not in targets]
    return Enqueued(now, tasks, pushes, not_due)
