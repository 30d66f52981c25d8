"""Monitor `zero_items`: a harvest that saw nothing where the platform's own run history says it shows something.

What a run "saw" is the rows its list pages showed (kept in the run's figures); for runs without figures it is
the messages the run parsed. The threshold is the platform's history, never a fixed number: a board that is
often empty between harvests (a quiet forum) does not alarm, one that always lists letters does.
"""

from __future__ import annotations

from collections.abc import Sequence

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import figures_of, judge_each, latest_successes
from harvester.runfigures import LISTED
from harvester.store.monitoring import RunSummary

NAME = "zero_items"
DEFAULTS = {"history_runs": 10, "min_history": 3, "min_nonzero_share": 0.5}


def judge(current: int, history: Sequence[int], settings: Settings) -> tuple[bool, str]:
    """(fires, why) for a run that saw `current` rows, given what earlier runs saw (newest first)."""
    if current > 0:
        return False, f"saw {current}"
    if len(history) < int(settings["min_history"]):
        return False, f"saw 0; too little history to judge ({len(history)} earlier run(s))"
    nonzero = sum(1 for value in history if value > 0)
    share = nonzero / len(history)
    if share >= float(settings["min_nonzero_share"]):
        return True, f"saw 0 where {nonzero} of the {len(history)} runs before saw some (typically {_median(history)})"
    return False, f"saw 0, as {len(history) - nonzero} of the {len(history)} runs before did"


def _median(values: Sequence[int]) -> int:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _seen(ctx: PlatformContext, run: RunSummary, listed: bool) -> int | None:
    if not listed:
        return run.items
    figures = figures_of(ctx, run)
    return figures.get(LISTED) if figures is not None else None


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    """The newest successful run of each board shard, judged by that shard's history (a platform harvested
    whole: by its runs over all its boards)."""
    found = judge_each(ctx, lambda run: _judge(ctx, run, settings), latest_successes(ctx))
    return found or result(NAME, ctx, False, "no successful run yet")


def _judge(ctx: PlatformContext, newest: RunSummary, settings: Settings) -> CheckResult:
    runs = ctx.reads.successful_shard_runs(ctx.slug, newest.shard, int(settings["history_runs"]) + 1)
    current_figures = figures_of(ctx, runs[0])
    listed = current_figures is not None and LISTED in current_figures
    current = _seen(ctx, runs[0], listed)
    history = [seen for run in runs[1:] if (seen := _seen(ctx, run, listed)) is not None]
    fires, why = judge(current or 0, history, settings)
    measure = "list rows" if listed else "messages parsed"
    return result(NAME, ctx, fires, f"run {runs[0].id} {why} ({measure})", run_id=runs[0].id, seen=current,
                  history=history, measure=measure)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "a run saw nothing where the platform's history says it should")
