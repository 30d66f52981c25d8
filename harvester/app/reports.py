"""Human-readable tables of runs for the CLI (times shown in Beijing time)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table

from harvester.timeutil import to_shanghai

COLUMNS = ("requests", "items", "new", "changed", "unchanged", "quarantined")
WHY_WIDTH = 80  # the table's reason column; `harvester runs show N` prints it whole
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
        table.add_row(str(run["id"]), platform_of(run), to_shanghai(run["started_at"]).strftime("%m-%d %H:%M:%S"),
                      f"{seconds:.1f}" if seconds is not None else "-",
                      f"[{STYLES.get(run['outcome'], '')}]{outcome}[/]",
                      *(str(run.get(c, 0)) for c in COLUMNS), _why(run))
    return table


def platform_of(run: Mapping[str, Any]) -> str:
    """The run's platform, with its board shard when it harvested one (`people_hn#2/4`)."""
    return f"{run['platform']}#{run['shard']}" if run.get("shard") else run["platform"]


def _why(run: Mapping[str, Any]) -> str:
    """The reason, cut to the column with a pointer to the whole of it."""
    error = run.get("error") or ""
    return error if len(error) <= WHY_WIDTH else f"{error[:WHY_WIDTH]}… (runs show {run['id']})"


def run_lines(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One run as (label, value) lines, times in Beijing time, the reason and every figure whole."""
    def when(value: Any) -> str:
        return to_shanghai(value).isoformat(timespec="seconds") if isinstance(value, datetime) else "-"

    outcome = run["outcome"] + (f" ({run['failure_class']})" if run.get("failure_class") else "")
    seconds = seconds_of(run)
    lines = [("run", str(run["id"])), ("platform", platform_of(run)), ("outcome", outcome),
             ("started", when(run["started_at"])), ("finished", when(run.get("finished_at"))),
             ("seconds", f"{seconds:.1f}" if seconds is not None else "-")]
    lines += [(column, str(run.get(column, 0))) for column in (*COLUMNS, "events")]
    lines.append(("why", run.get("error") or "-"))
    shown = {"id", "platform", "outcome", "failure_class", "started_at", "finished_at", "seconds", "error", *COLUMNS,
             "events"}
    lines += [(key, _plain(value)) for key, value in sorted(run.items())
              if key not in shown and value is not None and value != ""]
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat(timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)
