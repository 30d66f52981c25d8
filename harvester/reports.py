"""Human-readable tables of runs for the CLI (times shown in Beijing time)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table

from harvester.timeutil import to_shanghai

COLUMNS = ("requests", "items", "new", "changed", "unchanged", "quarantined")
STYLES = {"succeeded": "green", "failed": "bold red", "abandoned": "yellow", "running": "cyan"}


def seconds_of(run: Mapping[str, Any]) -> float | None:
    """Wall-clock duration of a finished run."""
    if not run.get("finished_at"):
        return None
    return float((run["finished_at"] - run["started_at"]).total_seconds())


def run_json(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run as JSON-ready data: times in Beijing time (ISO 8601 with offset), figures as recorded."""
    return {key: to_shanghai(value).isoformat() if isinstance(value, datetime) else value
            for key, value in run.items()}


def runs_table(runs: Iterable[Mapping[str, Any]], title: str) -> Table:
    """One row per run: when, how long, outcome (with failure class), counts, and the error if any."""
    table = Table("run", "platform", "started (UTC+8)", "s", "outcome", *COLUMNS, "why", title=title)
    for run in runs:
        seconds = seconds_of(run)
        outcome = run["outcome"] + (f" ({run['failure_class']})" if run.get("failure_class") else "")
        table.add_row(str(run["id"]), run["platform"], to_shanghai(run["started_at"]).strftime("%m-%d %H:%M:%S"),
                      f"{seconds:.1f}" if seconds is not None else "-",
                      f"[{STYLES.get(run['outcome'], '')}]{outcome}[/]",
                      *(str(run.get(c, 0)) for c in COLUMNS), (run.get("error") or "")[:80])
    return table
