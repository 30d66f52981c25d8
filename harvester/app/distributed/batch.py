"""One harvest task's work: the platforms of the task not harvested since it was enqueued, crawled by one child
process; a child that dies before a platform's run is recorded leaves a failed run saying so."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from harvester.app.operate import secret_variables
from harvester.app.runs_children import die_with_parent
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


def harvested_since(store: Store, slugs: Sequence[str], since: datetime) -> set[str]:
    """Platforms with a successful run started at or after `since`: a task enqueued before it has nothing to do."""
    done = set()
    with store.transaction() as repo:
        for slug in slugs:
            runs = repo.latest_runs(limit=5, platform=slug)
            if any(r["outcome"] == "succeeded" and r["started_at"] >= since for r in runs):
                done.add(slug)
    return done


def running_now(store: Store, slugs: Sequence[str], within: timedelta, now: datetime) -> set[str]:
    """Platforms with a run still "running" that started less than `within` ago (a harvest cannot be older)."""
    busy = set()
    with store.transaction() as repo:
        for slug in slugs:
            latest = repo.latest_runs(limit=1, platform=slug)
            if latest and latest[0]["outcome"] == "running" and now - latest[0]["started_at"] < within:
                busy.add(slug)
    return busy


def child_env(config: HarvesterConfig) -> dict[str, str]:
    """A harvest child's environment: no credentials, no secret variables the config names, the config's path."""
    env = harvest_env(os.environ, secret_variables(config))
    env.pop("HARVESTER_BROKER_URL", None)  # a harvest never talks to the broker; the URL may carry its password
    if config.config_file is not None:
        env["HARVESTER_CONFIG"] = str(config.config_file.resolve())
    return env


def _run_child(config: HarvesterConfig, slugs: Sequence[str], timeout_s: float, log: Path) -> tuple[int | None, list]:
    """Run the child; its exit code (None: killed at the time limit) and the outcomes it wrote."""
    with tempfile.TemporaryDirectory(prefix="harvest-task-") as tmp:
        out = Path(tmp) / "outcomes.json"
        with log.open("w", encoding="utf-8") as handle:
            process = subprocess.Popen([sys.executable, "-m", "harvester.app.distributed.child", str(out), *slugs],
                                       stdout=handle, stderr=subprocess.STDOUT, env=child_env(config),
                                       start_new_session=True, preexec_fn=die_with_parent())
        try:
            code: int | None = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: a browser it started goes too
            process.wait()
            code = None
        outcomes = json.loads(out.read_text(encoding="utf-8")) if out.exists() else []
    return code, outcomes


def harvest_batch(config: HarvesterConfig, slugs: Sequence[str], enqueued_at: datetime,
                  timeout_s: float) -> BatchResult:
    """Harvest those of `slugs` not harvested since `enqueued_at` in one child process (idempotent: a task
    delivered twice finds its platforms harvested and does nothing)."""
    result = BatchResult()
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with Store.open(config.db_url) as store:
        done = harvested_since(store, slugs, enqueued_at)
        result.skipped = [s for s in slugs if s in done]
        pending = [s for s in slugs if s not in done]
        if not pending:
            return result
        log = logs / (f"task-{pending[0]}.log" if len(pending) == 1 else f"task-{pending[0]}+{len(pending) - 1}.log")
        code, outcomes = _run_child(config, pending, timeout_s, log)
        by_slug = {o["platform"]: o for o in outcomes}
        for slug in pending:
            outcome = by_slug.get(slug, {})
            if outcome.get("busy"):
                result.busy.append(slug)
            elif outcome.get("run_id") is not None:
                result.harvested[slug] = int(outcome["run_id"])
            else:
                result.failed[slug] = _record_failure(store, slug, code, log)
    return result


def _record_failure(store: Store, slug: str, code: int | None, log: Path) -> int:
    """A failed run for a platform whose harvest process ended without saying how it went; its own "running"
    run (if the child had started one) is closed as abandoned first."""
    why = "killed at the task time limit" if code is None else f"exited with {code}"
    with store.transaction() as repo:
        repo.abandon_stale_runs(slug)
        run_id = repo.start_run(slug, os.getpid())
        repo.finish_run(run_id, "failed", {}, error=f"harvest process {why} before recording a run; see {log}",
                        failure_class=CHILD_FAILURE)
    logger.error("%s: harvest process %s before recording a run; see %s", slug, why, log)
    return run_id
