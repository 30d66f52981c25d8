"""One harvest task's work: the targets of the task (whole platforms, or one board shard `<slug>#2/4`) not
harvested since it was enqueued, crawled by one child process; a child that dies before a target's run is
recorded leaves a failed run saying so (with the shard's label for a shard)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from harvester.app.distributed.childstart import run_child
from harvester.app.distributed.shards import parse_target
from harvester.app.harvest import platform_runs, succeeded_since
from harvester.app.operate import secret_variables
from harvester.childenv import harvest_env
from harvester.config import HarvesterConfig
from harvester.store.db import Store

logger = logging.getLogger(__name__)
CHILD_FAILURE = "crashed"  # the run table's class for a harvest process that died before recording its run


@dataclass(slots=True)
class BatchResult:
    """What became of each platform of a task: harvested (run ids), skipped (harvested since the task was
    enqueued), busy (another harvest holds it: try again later), failed (the child died; a run records it)."""

    harvested: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)


def target_runs(store: Store, target: str, limit: int) -> list[dict[str, Any]]:
    """The newest runs of a target, newest first: a whole platform's (over all its boards), or one shard's."""
    return platform_runs(store, *_split(target), limit)


def harvested_since(store: Store, targets: Sequence[str], since: datetime) -> set[str]:
    """Targets (platforms, shards) with a successful run started at or after `since`: a task enqueued before it
    has nothing to do (asked here before a child starts, and again by the child under each target's lock)."""
    return {target for target in targets if succeeded_since(store, *_split(target), since)}


def _split(target: str) -> tuple[str, str | None]:
    slug, shard = parse_target(target)
    return slug, shard.label if shard else None


def running_now(store: Store, targets: Sequence[str], within: timedelta, now: datetime) -> set[str]:
    """Targets with a run still "running" that started less than `within` ago (a harvest cannot be older)."""
    busy = set()
    for target in targets:
        latest = target_runs(store, target, 1)
        if latest and latest[0]["outcome"] == "running" and now - latest[0]["started_at"] < within:
            busy.add(target)
    return busy


def child_env(config: HarvesterConfig) -> dict[str, str]:
    """A harvest child's environment: no credentials, no secret variables the config names, the config's path."""
    env = harvest_env(os.environ, secret_variables(config))
    env.pop("HARVESTER_BROKER_URL", None)  # a harvest never talks to the broker; the URL may carry its password
    if config.config_file is not None:
        env["HARVESTER_CONFIG"] = str(config.config_file.resolve())
    return env


def _run_child(config: HarvesterConfig, targets: Sequence[str], enqueued_at: datetime, timeout_s: float,
               log: Path) -> tuple[int | None, list]:
    """Run the child; its exit code (None: killed at the time limit) and the outcomes it wrote."""
    with tempfile.TemporaryDirectory(prefix="harvest-task-") as tmp:
        out = Path(tmp) / "outcomes.json"
        code = run_child([str(out), enqueued_at.isoformat(), *targets], child_env(config), log, timeout_s)
        outcomes = json.loads(out.read_text(encoding="utf-8")) if out.exists() else []
    return code, outcomes


def harvest_batch(config: HarvesterConfig, targets: Sequence[str], enqueued_at: datetime,
                  timeout_s: float) -> BatchResult:
    """Harvest those of `targets` (platform slugs, or one shard `<slug>#2/4`) not harvested since `enqueued_at` in
    one child process (idempotent: a task delivered twice finds its targets harvested and does nothing)."""
    result = BatchResult()
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with Store.open(config.db_url) as store:
        done = harvested_since(store, targets, enqueued_at)
        result.skipped = [t for t in targets if t in done]
        pending = [t for t in targets if t not in done]
        if not pending:
            return result
        first = pending[0].replace("#", ".shard-").replace("/", "-of-")  # a shard's target names a file too
        log = logs / (f"task-{first}.log" if len(pending) == 1 else f"task-{first}+{len(pending) - 1}.log")
        try:
            code, outcomes = _run_child(config, pending, enqueued_at, timeout_s, log)
        except Exception as error:  # noqa: BLE001 - no harvest ran: every target gets a failed run saying why
            why = f"could not be started ({type(error).__name__}: {error})"
            result.failed = {target: _record_failure(store, target, why, log) for target in pending}
            return result
        by_target = {o["platform"]: o for o in outcomes}
        for target in pending:
            outcome = by_target.get(target, {})
            if outcome.get("busy"):
                result.busy.append(target)
            elif outcome.get("skipped"):  # found harvested once its lock was taken
                result.skipped.append(target)
            elif outcome.get("run_id") is not None:
                result.harvested[target] = int(outcome["run_id"])
            else:
                why = "was killed at the task time limit" if code is None else f"exited with {code}"
                result.failed[target] = _record_failure(store, target, why, log)
    return result


def _record_failure(store: Store, target: str, why: str, log: Path) -> int:
    """A failed run for a target (platform, shard) whose harvest process `why` (ended, or never started) without
    saying how it went; its own "running" run (if the child had started one) is closed as abandoned first."""
    slug, shard = parse_target(target)
    with store.transaction() as repo:
        repo.abandon_stale_runs(slug)
        run_id = repo.start_run(slug, os.getpid(), shard.label if shard else None)
        repo.finish_run(run_id, "failed", {}, error=f"harvest process {why} before recording a run; see {log}",
                        failure_class=CHILD_FAILURE)
    logger.error("%s: harvest process %s before recording a run; see %s", target, why, log)
    return run_id
