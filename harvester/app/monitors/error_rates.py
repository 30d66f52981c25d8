"""Monitor `error_rates`: the share of 403/429/5xx answers and timeouts (or other transport errors) in a run."""

from __future__ import annotations

from collections.abc import Mapping

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.app.monitors.history import figures_of, judge_each
from harvester.runfigures import with_prefix
from harvester.store.monitoring import RunSummary

NAME = "error_rates"
# Retries hide a platform that throttles us (429) or wobbles (503) until it stops answering at all: the share
# of such answers is the early warning, counted before retries.
DEFAULTS = {"max_share": 0.1, "min_errors": 3}
STATUS_PREFIX = "downloader/response_status_count/"
EXCEPTION_PREFIX = "downloader/exception_type_count/"


def error_counts(figures: Mapping[str, int]) -> dict[str, int]:
    """Answers and failures by class: blocked (403, 429), server (5xx), timeout, transport (other)."""
    counts = {"blocked": 0, "server": 0, "timeout": 0, "transport": 0}
    for status, count in with_prefix(figures, STATUS_PREFIX).items():
        if status in ("403", "429"):
            counts["blocked"] += count
        elif status.startswith("5"):
            counts["server"] += count
    for name, count in with_prefix(figures, EXCEPTION_PREFIX).items():
        counts["timeout" if "Timeout" in name else "transport"] += count
    return counts


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    """The newest run (of each board shard) judged."""
    found = judge_each(ctx, lambda run: _judge(ctx, run, settings))
    return found or result(NAME, ctx, False, "no finished run yet")


def _judge(ctx: PlatformContext, run: RunSummary, settings: Settings) -> CheckResult:
    figures = figures_of(ctx, run)
    if figures is None:
        return result(NAME, ctx, False, f"run {run.id}: no figures kept, rates unknown", run_id=run.id)
    counts = error_counts(figures)
    errors = sum(counts.values())
    attempts = figures.get("downloader/response_count", 0) + figures.get("downloader/exception_count", 0)
    share = errors / attempts if attempts else 0.0
    fires = errors >= int(settings["min_errors"]) and share > float(settings["max_share"])
    what = ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "none"
    detail = f"run {run.id}: {errors} of {attempts} answers were errors ({share:.0%}: {what})"
    if fires:
        detail += f", over {float(settings['max_share']):.0%}"
    return result(NAME, ctx, fires, detail, run_id=run.id, share=round(share, 4), attempts=attempts, **counts)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "403/429/5xx answers and timeouts over max_share of a run")
