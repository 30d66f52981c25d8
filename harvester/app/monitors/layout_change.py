"""Monitor `layout_change`: a redesigned template, seen as a run failed for layout or as fields going missing.

Strict selectors catch a page that lost a required field (it is quarantined). A template that drops an optional
field (the author, the view count, the reply under an answered letter) still parses: only the share of recent
messages that carry each field, against the platform's older messages, shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import latest_runs, shard_prefix

NAME = "layout_change"
DEFAULTS = {"recent_runs": 1, "min_messages": 5, "max_drop": 0.5, "min_baseline": 0.5}

Coverage = Mapping[str, tuple[int, int]]  # field -> (messages carrying it, messages that could)


def dropped(recent: Coverage, baseline: Coverage, settings: Settings) -> list[tuple[str, float, float]]:
    """(field, baseline share, recent share) of every field whose share fell by more than `max_drop`."""
    least, floor, drop = int(settings["min_messages"]), float(settings["min_baseline"]), float(settings["max_drop"])
    found = []
    for name, (base_filled, base_total) in baseline.items():
        filled, total = recent.get(name, (0, 0))
        if base_total < least or total < least or base_filled / base_total < floor:
            continue
        before, now = base_filled / base_total, filled / total
        if now < before * (1 - drop):
            found.append((name, before, now))
    return found


def _describe(fields: Sequence[tuple[str, float, float]]) -> str:
    return ", ".join(f"{name} {before:.0%} -> {now:.0%}" for name, before, now in fields)


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    runs = ctx.reads.finished_runs(ctx.slug, int(settings["recent_runs"]))
    if not runs:
        return result(NAME, ctx, False, "no finished run yet")
    broken = [run for run in latest_runs(ctx) if run.failure_class == "layout_changed"]  # of each board shard
    if broken:
        return result(NAME, ctx, True, "; ".join(f"{shard_prefix(ctx, run)}run {run.id} failed for layout: "
                                                 f"{run.error}" for run in broken), run_id=broken[0].id)
    ids = [run.id for run in runs]
    recent = ctx.reads.coverage(ctx.slug, ids, of_runs=True)
    baseline = ctx.reads.coverage(ctx.slug, ids, of_runs=False)
    fields = dropped(recent, baseline, settings)
    figures = {"recent": {k: list(v) for k, v in recent.items()}, "baseline": {k: list(v) for k, v in baseline.items()}}
    count = recent["author"][1]
    if count < int(settings["min_messages"]):
        return result(NAME, ctx, False, f"only {count} recent message(s): too few to compare field coverage",
                      **figures)
    if fields:
        return result(NAME, ctx, True, f"fields missing from recent messages (share before -> now): "
                      f"{_describe(fields)}", fields=[name for name, _, _ in fields], **figures)
    return result(NAME, ctx, False, f"field coverage of {count} recent message(s) holds", **figures)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "a run failed for layout, or recent messages lost a field")
