"""Harvest run records: start, finish, and closing runs whose process died before it could say how it ended."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from harvester.store.models import RUN_COUNTS, RUN_OUTCOMES, RunRow
from harvester.timeutil import utcnow

ABANDONED_ERROR = "process died before recording an outcome"
# No harvest runs this long; past it a "running" run is dead even if its pid was reused or is on another host.
STALE_AFTER = timedelta(hours=24)


def start_run(session: Session, platform: str, pid: int, shard: str | None = None) -> int:
    """Record a run that starts now on this host (over the board shard `shard`, e.g. "2/4"; None: all the
    platform's boards); return its id."""
    run = RunRow(platform=platform, started_at=utcnow(), outcome="running", pid=pid, host=socket.gethostname(),
                 shard=shard)
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, outcome: str, counts: Mapping[str, int], error: str | None = None,
               failure_class: str | None = None, figures: Mapping[str, int] | None = None) -> None:
    """Record how run `run_id` ended (and its extra figures); unknown outcomes or counter names raise ValueError."""
    if outcome not in RUN_OUTCOMES or outcome == "running":
        raise ValueError(f"unknown run outcome {outcome!r}")
    run = _counted_run(session, run_id, counts)
    run.outcome, run.finished_at, run.error, run.failure_class = outcome, utcnow(), error, failure_class
    if figures is not None:
        run.figures = {str(key): int(value) for key, value in figures.items()}
    for name, value in counts.items():
        setattr(run, name, int(value))


def add_run_counts(session: Session, run_id: int, counts: Mapping[str, int]) -> None:
    """Add one committed batch's counts to run `run_id`, in the batch's own transaction: a run killed later
    (abandoned) still shows what it stored. `finish_run` then writes the same totals."""
    run = _counted_run(session, run_id, counts)
    for name, value in counts.items():
        setattr(run, name, int(getattr(run, name) or 0) + int(value))


def _counted_run(session: Session, run_id: int, counts: Mapping[str, int]) -> RunRow:
    """Run `run_id`, once `counts` names only known counters (ValueError) and the run exists (LookupError)."""
    unknown = set(counts) - set(RUN_COUNTS)
    if unknown:
        raise ValueError(f"unknown run counters {sorted(unknown)}")
    run = session.get(RunRow, run_id)
    if run is None:
        raise LookupError(f"no run {run_id}")
    return run


def abandon_stale_runs(session: Session, platform: str) -> int:
    """Mark the platform's "running" runs whose process is gone as abandoned; return how many."""
    now, host = utcnow(), socket.gethostname()
    running = session.scalars(select(RunRow).where(RunRow.platform == platform, RunRow.outcome == "running"))
    stale = [run for run in running if _is_stale(run, now, host)]
    for run in stale:
        run.outcome, run.finished_at, run.error = "abandoned", now, ABANDONED_ERROR
    return len(stale)


def abandon_runs_of_dead_holders(session: Session, platform: str, shard: str | None = None) -> int:
    """Close every "running" run of the platform (of its board shard `shard` and those over all its boards, when
    `shard` is given) as abandoned, naming its host and pid; return how many.

    Call only while holding the platform's (or the shard's) harvest lock (harvester.store.platformlock) and before
    starting a run: a harvest holds the lock for as long as its run is open, so any run still "running" then
    belongs to a process that died, on this host or another (where `abandon_stale_runs` cannot check its pid).
    The platform's lock excludes every shard; a shard's excludes that shard and the whole platform, not the
    other shards, whose runs are left alone."""
    now, host, pid = utcnow(), socket.gethostname(), os.getpid()
    query = select(RunRow).where(RunRow.platform == platform, RunRow.outcome == "running")
    if shard is not None:
        query = query.where(or_(RunRow.shard == shard, RunRow.shard.is_(None)))
    running = list(session.scalars(query))
    for run in running:
        run.outcome, run.finished_at = "abandoned", now
        run.error = (f"process {run.pid if run.pid is not None else '?'} on {run.host or 'an unknown host'} died "
                     f"before recording an outcome (its platform's lock was free when pid {pid} on {host} took it)")
    return len(running)


def latest_shard_runs(session: Session, platform: str, shard: str, limit: int) -> list[RunRow]:
    """The newest runs of the platform's board shard `shard`, newest first."""
    query = (select(RunRow).where(RunRow.platform == platform, RunRow.shard == shard)
             .order_by(RunRow.id.desc()).limit(limit))
    return list(session.scalars(query))


def _is_stale(run: RunRow, now: datetime, host: str) -> bool:
    if now - run.started_at > STALE_AFTER:
        return True
    if run.host != host or run.pid is None:  # another machine's pid tells us nothing
        return False
    return not process_alive(run.pid)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists on this host and is not a zombie (killed, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): signal 0 succeeded, so it exists
