"""The run reads the monitors share: a platform's newest finished run (of each board shard it is harvested in),
when all its boards were last harvested, and a run's figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from harvester.app.monitors.base import CheckResult, PlatformContext
from harvester.store.monitoring import RunSummary


def latest_runs(ctx: PlatformContext) -> list[RunSummary]:
    """The platform's newest finished run of each board shard it is harvested in now, newest first: one run
    when its newest covered all its boards; none before its first."""
    return current_runs(ctx.reads.newest_of_each_shard(ctx.slug))


def current_runs(newest: list[RunSummary]) -> list[RunSummary]:
    """Of the newest run of each shard (`newest`, newest first), those of the newest run's shard count that
    began after every run of another count (or over all boards): the runs that hold the platform's boards now."""
    if not newest:
        return []
    count = shard_count(newest[0])
    since = max((run.id for run in newest if shard_count(run) != count), default=0)
    return [run for run in newest if shard_count(run) == count and run.id > since]


def last_harvested(ctx: PlatformContext) -> tuple[datetime, str | None] | None:
    """When every board of the platform had last been harvested successfully, and the shard that was oldest
    (None: a run over all its boards); None when some board never was."""
    return oldest_success(ctx.reads.newest_of_each_shard(ctx.slug, succeeded=True))


def oldest_success(successes: list[RunSummary]) -> tuple[datetime, str | None] | None:
    """Of the newest success of each shard (newest first): the oldest success among the shards of the newest's
    count, a shard with none of its own counting as harvested when the platform was under its earlier counts."""
    if not successes:
        return None
    count = shard_count(successes[0])
    if count == 0:
        return _finished(successes[0]), None
    before = oldest_success([run for run in successes if shard_count(run) != count])
    own = {run.shard: run for run in successes if shard_count(run) == count}
    found: list[tuple[datetime, str | None]] = []
    for index in range(1, count + 1):
        shard = f"{index}/{count}"
        times: list[tuple[datetime, str | None]] = [(_finished(own[shard]), shard)] if shard in own else []
        if before is not None:
            times.append(before)
        if not times:
            return None
        found.append(max(times, key=lambda pair: pair[0]))
    return min(found, key=lambda pair: pair[0])


def shard_count(run: RunSummary) -> int:
    """How many shards the run's platform was harvested in (0: the run covered all its boards)."""
    return int(run.shard.partition("/")[2]) if run.shard else 0


def shard_name(ctx: PlatformContext, run: RunSummary) -> str:
    """The platform, or the shard the run harvested as `harvester queue` names it (`people_zj#2/4`)."""
    return f"{ctx.slug}#{run.shard}" if run.shard else ctx.slug


def shard_prefix(ctx: PlatformContext, run: RunSummary) -> str:
    """"people_zj#2/4: " before what is said of a shard's run; nothing for a run over all the boards."""
    return f"{shard_name(ctx, run)}: " if run.shard else ""


def latest_successes(ctx: PlatformContext) -> list[RunSummary]:
    """The platform's newest successful run of each board shard it is harvested in now, newest first (one when
    the newest covered all its boards)."""
    return current_runs(ctx.reads.newest_of_each_shard(ctx.slug, succeeded=True))


def judge_each(ctx: PlatformContext, judge: Callable[[RunSummary], CheckResult],
               runs: list[RunSummary] | None = None) -> CheckResult | None:
    """`judge` over `runs` (default: the newest run of each shard the platform is harvested in, `latest_runs`),
    as one result: the failed runs' details (each named by its shard) with the first failed one's figures, else
    the newest's result; None without runs."""
    results = [(run, judge(run)) for run in (latest_runs(ctx) if runs is None else runs)]
    if len(results) < 2:
        return results[0][1] if results else None
    failed = [(run, found) for run, found in results if not found.holds] or results
    first = failed[0][1]
    detail = "; ".join(shard_prefix(ctx, run) + found.detail for run, found in failed)
    return CheckResult(first.check, first.platform, first.status, detail, first.figures)


def _finished(run: RunSummary) -> datetime:
    return run.finished_at or run.started_at


def figures_of(ctx: PlatformContext, run: RunSummary) -> dict[str, int] | None:
    """The figures recorded with `run`, or None (a run that never finished, or one recorded before 0003)."""
    return {str(key): int(value) for key, value in run.figures.items()} if run.figures else None
