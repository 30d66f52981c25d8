"""The run reads the monitors share: a platform's newest finished run, and a run's figures."""

from __future__ import annotations

from harvester.app.monitors.base import PlatformContext
from harvester.store.monitoring import RunSummary


def latest_run(ctx: PlatformContext) -> RunSummary | None:
    """The platform's newest finished run, or None before its first."""
    runs = ctx.reads.finished_runs(ctx.slug, 1)
    return runs[0] if runs else None


def figures_of(ctx: PlatformContext, run: RunSummary) -> dict[str, int] | None:
    """The figures recorded with `run`, or None (a run that never finished, or one recorded before 0003)."""
    return {str(key): int(value) for key, value in run.figures.items()} if run.figures else None
