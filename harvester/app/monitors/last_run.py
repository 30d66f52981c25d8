"""Monitor `last_run`: the platform's newest harvest (of any of its board shards) ended without success
(network, blocked, layout_changed …)."""

from __future__ import annotations

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import latest_runs, shard_prefix
from harvester.store.monitoring import RunSummary

NAME = "last_run"


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    runs = latest_runs(ctx)
    if not runs:
        return result(NAME, ctx, False, "no finished run yet")
    failed = [run for run in runs if run.outcome != "succeeded"]
    judged = failed[0] if failed else runs[0]
    figures = {"run_id": judged.id, "outcome": judged.outcome, "failure_class": judged.failure_class}
    if runs[0].shard is not None:
        figures["shards"] = {run.shard: run.outcome for run in runs}
    if not failed:
        ran = ", ".join(f"{shard_prefix(ctx, run)}run {run.id}" for run in runs)
        return result(NAME, ctx, False, f"{ran} succeeded", **figures)
    return result(NAME, ctx, True, "; ".join(_failure(ctx, run) for run in failed), **figures)


def _failure(ctx: PlatformContext, run: RunSummary) -> str:
    why = f" ({run.failure_class})" if run.failure_class else ""
    return f"{shard_prefix(ctx, run)}run {run.id} {run.outcome}{why}: {run.error or 'no reason recorded'}"


MONITOR = MonitorSpec(NAME, {}, check, "the newest harvest of the platform (of any of its shards) did not succeed")
