"""`harvester overdue`: the 督办 report alone, each open letter past its answer deadline, by unit.

Overdue letters are the offices' business, not the harvester's health: this command never fails for them (exit 0
whatever it finds; 2 on a configuration error), harvests nothing and sends nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harvester.app.cli.ops import AtOption, JsonOption, PlatformOption, parse_at, selected_platforms
from harvester.config import load_config
from harvester.timeutil import to_shanghai


def overdue_command(as_json: JsonOption = False, platform: PlatformOption = None, at: AtOption = None) -> None:
    """The 督办 report: open letters past their answer deadline in working days, by unit, each letter listed
    (up to the overdue monitor's `listed` per platform); never exits 1 for them."""
    from harvester.app.monitors.report import Report
    from harvester.app.monitors.runner import checks_settings, run_checks
    from harvester.store.db import Store
    from harvester.timeutil import utcnow

    config = load_config()
    settings, specs = checks_settings(config), selected_platforms(config, platform)
    now = parse_at(at) or utcnow()
    with Store.open(config.db_url) as store:
        report = Report(now, run_checks(store, specs, settings, now, config))
    found = report.to_json()["overdue"]
    if as_json:
        sys.stdout.write(json.dumps({"at": to_shanghai(now).isoformat(), "count": report.overdue_count(),
                                     "platforms": found}, ensure_ascii=False, indent=2) + "\n")
        return
    _print(found, report.overdue_count(), now, Console(width=None if sys.stdout.isatty() else 200))


def _print(found: list[dict[str, Any]], count: int, now: Any, console: Console) -> None:
    table = Table("platform", "unit", "letter", "kind", "posted (UTC+8)", "due", "days late",
                  title=f"督办: {count} open letter(s) past their deadline at {to_shanghai(now):%Y-%m-%d %H:%M} "
                  "(UTC+8)")
    for result in found:
        for letter in result["figures"].get("messages", []):
            due = letter["due"] + (" (estimated)" if letter.get("estimated") else "")
            table.add_row(result["platform"], escape(letter["unit"] or "-"), letter["external_id"], letter["kind"],
                          letter["posted_at"][:16].replace("T", " "), due, str(letter["days_late"]))
    console.print(table)
    for result in found:
        shown, total = len(result["figures"].get("messages", [])), int(result["figures"].get("count", 0))
        if shown < total:
            console.print(f"{result['platform']}: {total - shown} more not listed (raise {escape('[checks.overdue]')} "
                          "listed)")
        if result["status"] == "error":
            console.print(f"[yellow]{result['platform']}:[/] {escape(result['detail'])}")
