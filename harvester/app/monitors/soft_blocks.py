"""Monitor `soft_blocks`: pages answered HTTP 200 that were challenge, captcha, login or error pages."""

from __future__ import annotations

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import figures_of, judge_each
from harvester.runfigures import SOFT_BLOCKED, with_prefix
from harvester.store.monitoring import RunSummary

NAME = "soft_blocks"
DEFAULTS = {"max_pages": 0}
MARK = "soft block:"  # how the spider words a soft block in the run's error


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    """The newest run (of each board shard) judged."""
    found = judge_each(ctx, lambda run: _judge(ctx, run, settings))
    return found or result(NAME, ctx, False, "no finished run yet")


def _judge(ctx: PlatformContext, run: RunSummary, settings: Settings) -> CheckResult:
    figures = figures_of(ctx, run)
    limit = int(settings["max_pages"])
    if figures is None:  # no figures kept: the run's error still names a soft block
        fires = MARK in (run.error or "")
        detail = f"run {run.id}: {run.error}" if fires else f"run {run.id}: no soft block reported"
        return result(NAME, ctx, fires, detail, run_id=run.id)
    pages = figures.get(SOFT_BLOCKED, 0)
    kinds = with_prefix(figures, SOFT_BLOCKED + "/")
    if pages > limit:
        what = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
        return result(NAME, ctx, True, f"run {run.id} was answered {pages} page(s) that are not data ({what})"
                      + (f"; {run.error}" if run.error else ""), run_id=run.id, pages=pages, kinds=kinds)
    return result(NAME, ctx, False, f"run {run.id}: {pages} soft-blocked page(s)", run_id=run.id, pages=pages)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "HTTP 200 pages that were challenge, captcha, login or error pages")
