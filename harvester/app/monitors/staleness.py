"""Monitor `staleness`: the platform (each of its board shards) has not been harvested successfully within its
window."""

from __future__ import annotations

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, hours, result
from harvester.app.monitors.history import last_harvested
from harvester.timeutil import to_shanghai

NAME = "staleness"
# Cron harvests at 08:00, 12:00, 16:00 and 20:00: the longest healthy gap is the night's 12 hours.
DEFAULTS = {"max_age_hours": 13.0}


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    harvested = last_harvested(ctx)
    limit = float(settings["max_age_hours"])
    if harvested is None:
        return result(NAME, ctx, True, "never harvested successfully", max_age_hours=limit)
    finished, shard = harvested
    age = (ctx.now - finished).total_seconds() / 3600
    when = to_shanghai(finished).strftime("%Y-%m-%d %H:%M")
    figures = {"last_success": finished.isoformat(), "age_hours": round(age, 2), "max_age_hours": limit}
    if age > limit:
        of = f" of {ctx.slug}#{shard}" if shard else ""
        return result(NAME, ctx, True, f"last successful harvest{of} {hours(age)} ago ({when}), over {hours(limit)}",
                      **figures, **({"shard": shard} if shard else {}))
    if age < 0:  # judged as of an earlier time (`harvester monitor --at`)
        return result(NAME, ctx, False, f"last successful harvest {when}, after the time judged", **figures)
    return result(NAME, ctx, False, f"last successful harvest {hours(age)} ago ({when})", **figures)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "no successful harvest within max_age_hours")
