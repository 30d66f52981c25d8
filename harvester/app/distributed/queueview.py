"""What is queued and running, per platform and host: the broker's queues (read without taking anything), what
each worker holds (Celery's inspect), and the runs the store says are running."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from celery import Celery

from harvester.app.distributed.names import HARVEST, QUEUES
from harvester.store.db import Store


@dataclass(frozen=True, slots=True)
class Entry:
    """One platform's (or board shard's: `<slug>#2/4`) place in the work: queued (in the broker), reserved or
    scheduled (held by a worker, not yet started), active (a worker runs its task), running (the store has its
    run open)."""

    platform: str
    state: str
    where: str  # the queue, the worker's node name, or the host the store names
    detail: str = ""


def _platforms(task: str, args: Any) -> list[str]:
    if task != HARVEST or not isinstance(args, list | tuple) or not args:
        return [f"({task})"]
    return [str(slug) for slug in args[0]]


def broker_queued(app: Celery) -> list[Entry]:
    """Harvest tasks waiting in the broker's queues. Read in place on Redis; on other brokers only counted."""
    entries: list[Entry] = []
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        client = getattr(channel, "client", None)
        for queue in QUEUES:
            if client is None:  # AMQP: no peeking without taking; the count only (declared as workers declare it)
                count = app.amqp.queues[queue](channel).queue_declare().message_count
                entries += [Entry("?", "queued", queue, f"{count} task(s)")] if count else []
                continue
            for key in {channel._q_for_pri(queue, pri) for pri in channel.priority_steps}:
                for raw in client.lrange(key, 0, -1):
                    entries += _decode(raw, queue)
    return entries


def _decode(raw: bytes, queue: str) -> list[Entry]:
    message = json.loads(raw)
    task = message.get("headers", {}).get("task", "?")
    body = message.get("body", "")
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0] if body else []
    return [Entry(slug, "queued", queue) for slug in _platforms(task, args)]


def worker_held(app: Celery, timeout: float = 1.0) -> list[Entry]:
    """What each live worker runs (active) and holds for later (reserved, scheduled retries)."""
    inspect = app.control.inspect(timeout=timeout)
    entries: list[Entry] = []
    for state, found in (("active", inspect.active()), ("reserved", inspect.reserved()),
                         ("scheduled", inspect.scheduled())):
        for node, tasks in (found or {}).items():
            for task in tasks:
                request = task.get("request", task)
                entries += [Entry(slug, state, node) for slug in _platforms(request.get("name", "?"),
                                                                            request.get("args", []))]
    return entries


def store_running(store: Store, platforms: Iterable[str], limit: int = 3) -> list[Entry]:
    """Runs the store has open: platform (with its shard, as a task names it: `<slug>#2/4`), host and pid;
    among each platform's newest `limit` runs (a platform in N shards: N + `limit`)."""
    entries = []
    with store.transaction() as repo:
        for slug in platforms:
            runs = repo.latest_runs(limit=limit, platform=slug)
            if any(run.get("shard") for run in runs):
                runs = repo.latest_runs(limit=limit + _shard_count(runs), platform=slug)
            entries += [Entry(slug + (f"#{run['shard']}" if run.get("shard") else ""), "running",
                              str(run["host"] or "?"), f"pid {run['pid']}, run {run['id']}, since "
                              f"{run['started_at'].isoformat(timespec='seconds')}")
                        for run in runs if run["outcome"] == "running"]
    return entries


def _shard_count(runs: list[dict[str, Any]]) -> int:
    """How many shards the runs' platform is harvested in, as their labels ("2/4") say."""
    return max((int(str(run["shard"]).partition("/")[2]) for run in runs if run.get("shard")), default=0)


def per_platform(entries: Iterable[Entry]) -> Mapping[str, list[Entry]]:
    """Entries grouped by platform, in platform order."""
    grouped: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.platform, e.state, e.where)):
        grouped.setdefault(entry.platform, []).append(entry)
    return grouped
