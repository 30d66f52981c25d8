"""Monitor `quarantine_growth`: pages newly quarantined (unparseable, so messages missing) within a window."""

from __future__ import annotations

from datetime import timedelta

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, hours, result

NAME = "quarantine_growth"
DEFAULTS = {"window_hours": 24.0, "max_new": 0}
SHOWN = 3


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    window = float(settings["window_hours"])
    since = ctx.now - timedelta(hours=window)
    rows = ctx.reads.quarantined(ctx.slug, since, ctx.now)
    limit = int(settings["max_new"])
    if len(rows) > limit:
        examples = "; ".join(f"{url}: {reason}" for url, reason in rows[:SHOWN])
        return result(NAME, ctx, True, f"{len(rows)} page(s) quarantined in the last {hours(window)}: {examples}",
                      new=len(rows))
    return result(NAME, ctx, False, f"{len(rows)} page(s) quarantined in the last {hours(window)}", new=len(rows))


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "more than max_new pages quarantined within window_hours")
