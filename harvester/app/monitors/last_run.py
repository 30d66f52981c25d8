"""Monitor `last_run`: the platform's newest harvest ended without success (network, blocked, layout_changed …)."""

from __future__ import annotations

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import latest_run

NAME = "last_run"


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    run = latest_run(ctx)
    if run is None:
        return result(NAME, ctx, False, "no finished run yet")
    figures = {"run_id": run.id, "outcome": run.outcome, "failure_class": run.failure_class}
    if run.outcome == "succeeded":
        return result(NAME, ctx, False, f"run {run.id} succeeded", **figures)
    why = f" ({run.failure_class})" if run.failure_class else ""
    return result(NAME, ctx, True, f"run {run.id} {run.outcome}{why}: {run.error or 'no reason recorded'}",
                  **figures)


MONITOR = MonitorSpec(NAME, {}, check, "the newest harvest of the platform did not succeed")
