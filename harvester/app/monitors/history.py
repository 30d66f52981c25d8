"""The store reads the monitors share: a platform's finished runs, its last success, a run's figures."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from harvester.app.monitors.base import PlatformContext
from harvester.store.models import RunRow


def finished_runs(session: Session, platform: str, limit: int) -> list[RunRow]:
    """The platform's newest runs that have an outcome (not still running), newest first."""
    query = (select(RunRow).where(RunRow.platform == platform, RunRow.outcome != "running")
             .order_by(RunRow.id.desc()).limit(limit))
    return list(session.scalars(query))


def latest_run(ctx: PlatformContext) -> RunRow | None:
    """The platform's newest finished run, or None before its first."""
    runs = finished_runs(ctx.session, ctx.slug, 1)
    return runs[0] if runs else None


def successful_runs(session: Session, platform: str, limit: int) -> list[RunRow]:
    """The platform's newest succeeded runs, newest first."""
    query = (select(RunRow).where(RunRow.platform == platform, RunRow.outcome == "succeeded")
             .order_by(RunRow.id.desc()).limit(limit))
    return list(session.scalars(query))


def figures_of(ctx: PlatformContext, run: RunRow) -> dict[str, int] | None:
    """The figures recorded with `run`, or None (a run that never finished, or one recorded before 0003)."""
    return {str(key): int(value) for key, value in run.figures.items()} if run.figures else None
