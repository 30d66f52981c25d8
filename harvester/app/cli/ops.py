"""`harvester run` (the cron entry point) and `harvester check`: Rich progress on a terminal, log lines under cron."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from harvester.config import ConfigError, load_config
from harvester.timeutil import SHANGHAI, to_shanghai

if TYPE_CHECKING:
    from harvester.app.monitors.report import HarvestSummary, Report
    from harvester.config import HarvesterConfig
    from harvester.registry import PlatformSpec

EXIT_FAILED, EXIT_BUSY = 1, 3
STATUS_STYLE = {"ok": "[green]ok[/]", "failed": "[bold red]FAILED[/]", "error": "[bold yellow]CANNOT TELL[/]"}

JsonOption = Annotated[bool, typer.Option("--json", help="print the report as JSON on stdout")]
TextfileOption = Annotated[Path | None, typer.Option(help="write Prometheus metrics here (node_exporter textfile)")]


def _interactive() -> bool:
    return sys.stderr.isatty()


class LogReporter:
    """Under cron: one structured line per event, flushed at once."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def started(self, platform: str) -> None:
        from harvester.app.monitors.report import logfmt

        self._line(logfmt("harvest.start", level="info", platform=platform))

    def finished(self, summary: HarvestSummary) -> None:
        from harvester.app.monitors.report import logfmt

        self._line(logfmt("harvest.finished", level="info" if summary.ok else "error", platform=summary.platform,
                          run=summary.run_id, outcome=summary.outcome, failure_class=summary.failure_class,
                          detail=summary.detail))

    def note(self, event: str, **fields: Any) -> None:
        from harvester.app.monitors.report import logfmt

        self._line(logfmt(event, level="info", **fields))


class RichReporter:
    """On a terminal: a spinner per platform while its harvest runs, its outcome when it ends."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def started(self, platform: str) -> None:
        self.tasks[platform] = self.progress.add_task(f"{platform}: harvesting", total=None)

    def finished(self, summary: HarvestSummary) -> None:
        mark = "[green]✓[/]" if summary.ok else "[bold red]✗[/]"
        text = f"{mark} {summary.platform}: {escape(summary.detail)}"
        self.progress.update(self.tasks[summary.platform], description=text, total=1, completed=1)

    def note(self, event: str, **fields: Any) -> None:
        if event == "push.start":
            self.progress.console.print("pushing approved replies …")


def _table(report: Report) -> Table:
    table = Table("platform", "check", "status", "detail", title=f"Checks at "
                  f"{to_shanghai(report.at):%Y-%m-%d %H:%M} (UTC+8)")
    for h in report.harvests:
        table.add_row(h.platform, "harvest", STATUS_STYLE["ok" if h.ok else "failed"], escape(h.detail))
    for r in report.health:
        table.add_row(r.platform, r.check, STATUS_STYLE[r.status], escape(r.detail))
    return table


def _supervision(report: Report, console: Console) -> None:
    """The 督办 report: overdue letters by platform and unit (never part of the exit code)."""
    if not report.supervision:
        return
    units = Table("platform", "unit", "overdue", title=f"督办: {report.overdue_count()} overdue letter(s) by unit "
                  "(the offices' business; not a harvest failure)")
    for platform, unit, count in report.overdue_by_unit():
        units.add_row(platform, unit, str(count))
    console.print(units)
    for r in report.supervision:
        if r.status == "error":
            console.print(f"[yellow]督办 {r.platform}:[/] {escape(r.detail)}")


def _human(report: Report, console: Console) -> None:
    console.print(_table(report))
    _supervision(report, console)
    for problem in report.problems:
        console.print(f"[bold red]problem:[/] {escape(problem)}")
    failed = sorted({f.platform for f in report.failures()})
    console.print("[green]every check holds[/]" if report.holds
                  else f"[bold red]not holding[/] on: {', '.join(failed) or 'see problems above'}")


def _output(report: Report, as_json: bool) -> None:
    """JSON on stdout, a table on a terminal, else structured log lines; then exit 0 only if harvest health
    holds (overdue letters go into the 督办 part of the report, never into the exit code)."""
    from harvester.app.monitors.report import report_lines

    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif _interactive():
        _human(report, Console(stderr=False))
    else:
        for line in report_lines(report):
            sys.stdout.write(line + "\n")
    if not report.holds:
        raise typer.Exit(EXIT_FAILED)


def run_command(as_json: JsonOption = False, textfile: TextfileOption = None) -> None:
    """The cron entry point: harvest due platforms, push approved replies, run every monitor, alert.

    Exits 0 only when every harvest succeeded and every health check holds (overdue letters are reported and
    alerted apart, as 督办, and never fail a run); 1 otherwise; 3 when another run holds the lock (this one then
    does nothing).
    """
    from harvester.app.operate import unattended_run
    from harvester.runlock import AlreadyRunning

    config = load_config()
    log_stream = sys.stderr if as_json else sys.stdout
    try:
        if _interactive() and not as_json:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=Console(stderr=True)) as progress:
                report = unattended_run(config, RichReporter(progress), textfile)
        else:
            report = unattended_run(config, LogReporter(log_stream), textfile)
    except AlreadyRunning as busy:
        sys.stderr.write(f"harvester run: {busy}\n")
        raise typer.Exit(EXIT_BUSY) from None
    _output(report, as_json)


def parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


PlatformOption = Annotated[list[str] | None, typer.Option("--platform", "-p", help="only these platforms")]
AtOption = Annotated[str | None, typer.Option(help="judge as of this time (ISO 8601, default now; Beijing time "
                                                   "when no offset)")]


def selected_platforms(config: HarvesterConfig, platform: list[str] | None) -> dict[str, PlatformSpec]:
    """The configured platforms, only those `--platform` names when given (ConfigError naming unknown ones)."""
    from harvester.registry import platforms_for

    specs = platforms_for(config)
    unknown = sorted(set(platform or []) - set(specs))
    if unknown:
        raise ConfigError(f"--platform: unknown or disabled platform(s) {unknown}; configured: {sorted(specs)}")
    return {slug: spec for slug, spec in specs.items() if not platform or slug in platform}


def monitor_command(as_json: JsonOption = False, textfile: TextfileOption = None, platform: PlatformOption = None,
                  at: AtOption = None,
                  alert: Annotated[bool, typer.Option(help="send alerts as `harvester run` does")] = False) -> None:
    """Run every monitor on the store without harvesting; exits 0 only when every monitor holds (overdue
    letters are listed as 督办 and never change the exit code). `harvester check` is the old name."""
    from harvester.app.monitors.alerting import load_alert_targets, publish
    from harvester.app.monitors.report import Report
    from harvester.app.monitors.runner import checks_settings, last_successes, run_checks
    from harvester.app.operate import NO_PLATFORMS
    from harvester.store.db import Store
    from harvester.timeutil import utcnow

    moment = parse_at(at)
    config = load_config()
    settings, targets = checks_settings(config), load_alert_targets(config) if alert else None
    specs = selected_platforms(config, platform)
    now = moment or utcnow()
    with Store.open(config.db_url) as store:
        report = Report(now, run_checks(store, specs, settings, now, config),
                        last_success=last_successes(store, list(specs)), problems=[] if specs else [NO_PLATFORMS])
    publish(report, config.state_dir, textfile, targets, {s: spec.name for s, spec in specs.items()}, alert)
    _output(report, as_json)
