"""`harvester run`: under the run lock, harvest the due platforms in child processes, push replies, check, alert."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from harvester.app.monitors.alerting import load_alert_targets, publish
from harvester.app.monitors.report import HarvestSummary, Report
from harvester.app.monitors.runner import checks_settings, last_successes, run_checks
from harvester.app.monitors.settings import ChecksSettings
from harvester.app.runs_children import die_with_parent
from harvester.childenv import harvest_env, push_env
from harvester.config import ConfigError, HarvesterConfig, RunSection
from harvester.families import FamilyError
from harvester.registry import PlatformSpec, family_record, platforms_for
from harvester.runlock import RunLock
from harvester.store.db import Store
from harvester.store.platformlock import BUSY_EXIT
from harvester.timeutil import utcnow

# A platform harvested every N hours is due again a little early, so a cron tick minutes short still takes it.
DUE_SLACK = timedelta(minutes=30)
POLL_S = 0.1
RUN = RunSection()
NO_PLATFORMS = ("no platform is enabled: list them in `enabled`, add definitions under `platforms_dirs`, or set "
                "replica_platforms = true to run the built-in replica platforms")


@dataclass(frozen=True, slots=True)
class RunSettings:
    """`[run]`: lock file, Prometheus textfile, harvest processes at once, platforms per process, per-process
    time limit and per-platform intervals."""

    lock_path: Path
    textfile: Path | None = None
    parallel: int = RUN.parallel  # the defaults live in harvester.config
    per_process: int = RUN.per_process
    timeout_minutes: float = RUN.timeout_minutes
    every_hours: Mapping[str, float] = field(default_factory=dict)


def load_run_settings(config: HarvesterConfig) -> RunSettings:
    """The `[run]` settings of `config` (paths beside the config file; HARVESTER_LOCK_PATH and HARVESTER_TEXTFILE
    already on top); the lock defaults to <state_dir>/run.lock."""
    run = config.run
    return RunSettings(lock_path=run.lock_path or config.state_dir / "run.lock", textfile=run.textfile,
                       parallel=run.parallel, per_process=run.per_process, timeout_minutes=run.timeout_minutes,
                       every_hours=dict(run.every_hours))


class Reporter(Protocol):
    """Where progress goes: a Rich display on a terminal, structured log lines under cron."""

    def started(self, platform: str) -> None: ...

    def finished(self, summary: HarvestSummary) -> None: ...

    def note(self, event: str, **fields: Any) -> None: ...


def due(store: Store, specs: Mapping[str, PlatformSpec], every: Mapping[str, float], now: datetime) -> list[str]:
    """Platforms to harvest now: all, except those with `every_hours` whose last success is recent enough."""
    last = last_successes(store, list(specs))
    return [slug for slug in specs
            if not every.get(slug) or (t := last[slug]) is None or now - t >= timedelta(hours=every[slug]) - DUE_SLACK]


def _summary(store: Store, slug: str, after_id: int, code: int | None, log: Path) -> HarvestSummary:
    """What the child's harvest of `slug` recorded (runs newer than `after_id`), or why nothing was."""
    with store.transaction() as repo:
        if code is None:  # killed at the time limit: close its run now rather than at the next harvest
            repo.abandon_stale_runs(slug)
        runs = [r for r in repo.latest_runs(limit=1, platform=slug) if r["id"] > after_id]
    if not runs:
        if code == BUSY_EXIT:
            return HarvestSummary(slug, False, "not harvested: another harvest of this platform is running (it holds "
                                  f"the platform's lock in the store); see {log}", log=str(log))
        why = "killed at the time limit" if code is None else f"exited with {code}"
        return HarvestSummary(slug, False, f"harvest process {why} before recording a run; see {log}", log=str(log))
    run = runs[0]
    ok = run["outcome"] == "succeeded"  # what the run recorded is the truth, also in a batch that failed later
    detail = f"{run['new']} new, {run['changed']} changed" if ok else (run["error"] or run["outcome"])
    if code is None:
        detail = f"killed at the time limit; {detail}"
    elif code not in (0, 1):  # 1: finished, some platform of the batch failed (its own run says which)
        detail = f"harvest process exited with {code}; {detail}"
    return HarvestSummary(slug, ok, detail, run["id"], run["outcome"], run["failure_class"], str(log))


def secret_variables(config: HarvesterConfig) -> set[str]:
    """The variables the settings name as holding secrets: every `*_env` value (alert webhook URLs, DingTalk
    secrets, the SMTP password), wherever it sits."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            found.update(v for k, v in value.items() if k.endswith("_env") and isinstance(v, str))
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(config.model_dump(mode="json"))
    return found


def _child_env(config: HarvesterConfig, push: bool = False, env: Mapping[str, str] | None = None
               ) -> dict[str, str]:
    """A harvest child's environment (`childenv.harvest_env`: no credentials), or a push child's (the reply
    accounts too); both without the variables the config names as secrets, and with the config file's path."""
    env = os.environ if env is None else env
    child = (push_env if push else harvest_env)(env, secret_variables(config))
    if config.config_file is not None:
        child["HARVESTER_CONFIG"] = str(config.config_file.resolve())
    return child


def runs_alone(spec: PlatformSpec) -> bool:
    """Platforms that drive a browser (always, or as a fallback their family may take, like People's Daily's when
    its API refuses plain clients) get a process of their own: a hung Chromium must not hold other platforms'
    harvests. A family that cannot be loaded fails in whichever process it lands."""
    if spec.fetch == "browser":
        return True
    try:
        return family_record(spec.family).may_use_browser
    except FamilyError:
        return False


def batches(slugs: Sequence[str], specs: Mapping[str, PlatformSpec], per_process: int) -> list[list[str]]:
    """Slugs grouped into harvest processes of at most `per_process` platforms; browser ones alone.

    Platforms in one process crawl concurrently in one reactor, each at its own site's pace, so a tick over
    hundreds of politely throttled sites costs the slowest site per batch rather than the sum of them all.
    """
    alone = [[slug] for slug in slugs if slug in specs and runs_alone(specs[slug])]
    shared = [slug for slug in slugs if not (slug in specs and runs_alone(specs[slug]))]
    return [shared[i:i + per_process] for i in range(0, len(shared), per_process)] + alone


def _batch_log(logs: Path, batch: Sequence[str]) -> Path:
    """The batch's log file; each platform's `<slug>.log` points at it (a symlink) so operators find it by name."""
    log = logs / (f"{batch[0]}.log" if len(batch) == 1 else f"batch-{batch[0]}+{len(batch) - 1}.log")
    for slug in batch:
        link = logs / f"{slug}.log"
        if link != log:
            link.unlink(missing_ok=True)
            link.symlink_to(log.name)
    return log


def harvest_children(config: HarvesterConfig, store: Store, slugs: Sequence[str], settings: RunSettings,
                     reporter: Reporter, specs: Mapping[str, PlatformSpec] | None = None) -> list[HarvestSummary]:
    """`harvester harvest <slugs...>` child processes, `parallel` at a time, each crawling up to `per_process`
    platforms (see `batches`); a child failing or killed at the time limit spares the other children."""
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with store.transaction() as repo:
        before = {slug: max((r["id"] for r in repo.latest_runs(limit=1, platform=slug)), default=0) for slug in slugs}
    waiting = batches(slugs, specs or {}, settings.per_process)
    done: dict[str, HarvestSummary] = {}
    running: list[tuple[list[str], subprocess.Popen[bytes], float, Path]] = []
    limit = settings.timeout_minutes * 60
    while waiting or running:
        while waiting and len(running) < settings.parallel:
            batch = waiting.pop(0)
            log = _batch_log(logs, batch)
            with log.open("w", encoding="utf-8") as handle:  # the child keeps its own copy of the descriptor
                process = subprocess.Popen([sys.executable, "-m", "harvester", "harvest", *batch], stdout=handle,
                                           stderr=subprocess.STDOUT, env=_child_env(config), start_new_session=True,
                                           preexec_fn=die_with_parent())  # a killed run leaves no child behind
            running.append((batch, process, time.monotonic(), log))
            for slug in batch:
                reporter.started(slug)
        time.sleep(POLL_S)
        for entry in list(running):
            batch, process, started, log = entry
            code = process.poll()
            if code is None and time.monotonic() - started > limit:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: a browser it started goes too
                process.wait()
            elif code is None:
                continue
            running.remove(entry)
            for slug in batch:
                done[slug] = _summary(store, slug, before[slug], code, log)
                reporter.finished(done[slug])
    return [done[slug] for slug in slugs]


def push_replies(config: HarvesterConfig, settings: RunSettings, reporter: Reporter) -> list[str]:
    """`harvester push` in a child process when this installation has it; problems as lines."""
    log = config.state_dir / "logs" / "push.log"
    reporter.note("push.start")
    with log.open("w", encoding="utf-8") as handle:
        try:
            code = subprocess.call([sys.executable, "-m", "harvester", "push"], stdout=handle,
                                   stderr=subprocess.STDOUT, env=_child_env(config, push=True),
                                   timeout=settings.timeout_minutes * 60, preexec_fn=die_with_parent())
        except subprocess.TimeoutExpired:
            code = -1
    reporter.note("push.finished", exit=code, log=log)
    return [] if code == 0 else [f"reply push exited with {code}; see {log}"]


def unattended_run(config: HarvesterConfig, reporter: Reporter, textfile: Path | None = None) -> Report:
    """The whole cron tick under the run lock (AlreadyRunning if another run holds it); `textfile` overrides
    `[run] textfile`. Anything that breaks the run itself (the store is down) still ends in a report and alert."""
    settings = load_run_settings(config)
    checks, targets = checks_settings(config), load_alert_targets(config)  # configuration errors before any work
    specs = platforms_for(config)
    unknown = sorted(set(settings.every_hours) - set(specs))
    if unknown:
        raise ConfigError(f"{config.config_file}: [run] every_hours names unknown platform(s) {unknown}")
    names = {slug: spec.name for slug, spec in specs.items()}
    with RunLock(settings.lock_path):
        try:
            report = _tick(config, specs, checks, settings, reporter)
        except Exception as error:  # noqa: BLE001 - a cron run must end in a report and an alert, not a traceback
            report = Report(utcnow(), [], problems=[f"the run itself failed: {type(error).__name__}: {error}"])
        publish(report, config.state_dir, textfile or settings.textfile, targets, names, alert=True)
    return report


def _tick(config: HarvesterConfig, specs: Mapping[str, PlatformSpec], checks: ChecksSettings, settings: RunSettings,
          reporter: Reporter) -> Report:
    with Store.open(config.db_url) as store:
        slugs = due(store, specs, settings.every_hours, utcnow())
        skipped = [slug for slug in specs if slug not in slugs]
        reporter.note("run.start", platforms=",".join(slugs), skipped=",".join(skipped))
        harvests = harvest_children(config, store, slugs, settings, reporter, specs)
        problems = push_replies(config, settings, reporter) + ([] if specs else [NO_PLATFORMS])
        now = utcnow()
        return Report(now, run_checks(store, specs, checks, now, config), harvests, problems,
                      last_successes(store, list(specs)), skipped)
