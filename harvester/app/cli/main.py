"""The `harvester` command: harvest, inspect runs and changes, export, serve replicas, run the demo."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harvester.app.api.commands import serve_command, tokens_app
from harvester.app.cli.distributed import register_distributed_commands
from harvester.app.cli.ops import monitor_command, run_command
from harvester.app.cli.overdue import overdue_command
from harvester.app.cli.parse import parse as parse_command
from harvester.app.cli.platforms import fixtures_app, register_platform_commands
from harvester.app.cli.replies import push as push_command
from harvester.app.cli.replies import replies_app
from harvester.app.cli.users import users_app
from harvester.config import ConfigError, HarvesterConfig, load_config

app = typer.Typer(help="Harvest netizen messages (网民留言) into one store, and report on them.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
replicas_app = typer.Typer(help="Local replica platforms for development and rehearsal.", no_args_is_help=True)
platforms_app = typer.Typer(help="Configured platforms.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(replicas_app, name="replicas")
app.add_typer(platforms_app, name="platforms")
app.add_typer(fixtures_app, name="fixtures")
register_platform_commands(platforms_app)
app.command("run")(run_command)
app.command("monitor")(monitor_command)
# The name before monitors were called monitors: crontabs and scripts that say `harvester check` keep working.
app.command("check", hidden=True)(monitor_command)
app.command("overdue")(overdue_command)
app.command("parse")(parse_command)
app.add_typer(replies_app, name="replies")
app.command("push")(push_command)
app.command("serve")(serve_command)
app.add_typer(tokens_app, name="tokens")
register_distributed_commands(app)
app.add_typer(users_app, name="users")
console = Console(width=None if sys.stdout.isatty() else 200)  # cron logs: no wrapped columns


def _open_store(config: HarvesterConfig | None = None):  # noqa: ANN202 - a Store; lazy so `--help` never connects
    from harvester.store.db import Store

    return Store.open((config or load_config()).db_url)


@app.command()
def harvest(platforms: Annotated[list[str] | None, typer.Argument(help="platform slugs (default: all)")] = None
            ) -> None:
    """Harvest platforms now (incrementally) and show each run; exits 1 if any run failed."""
    from harvester.app.harvest import run_harvest
    from harvester.app.reports import runs_table
    from harvester.store.platformlock import BUSY_EXIT

    config = load_config()
    try:
        outcomes = run_harvest(config, platforms or [])
    except KeyError as error:  # a slug not configured here: one line, with how built-in replicas are switched on
        raise ConfigError(f"{error.args[0]} (built-in replica platforms run when named in `enabled` or with "
                          "HARVESTER_REPLICA_PLATFORMS=1)") from None
    store = _open_store(config)
    with store.transaction() as repo:
        runs = [repo.get_run(o.run_id) for o in outcomes if o.run_id is not None]
    console.print(runs_table(runs, title="This harvest"))
    for outcome in outcomes:
        if outcome.busy:
            console.print(f"[yellow]{escape(outcome.busy)}[/yellow]")
    missing = [o.platform for o in outcomes if o.run_id is None and not o.busy]
    failed = [r["platform"] for r in runs if r["outcome"] != "succeeded"] + missing
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red]")
        raise typer.Exit(1)
    if any(o.busy for o in outcomes):
        raise typer.Exit(BUSY_EXIT)


runs_app = typer.Typer(help="The latest harvest runs; `runs show N` prints one whole.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs(ctx: typer.Context, limit: int = 20, platform: str | None = None,
         as_json: Annotated[bool, typer.Option("--json", help="one JSON line per run, figures included")] = False,
         ) -> None:
    """The latest harvest runs: outcome, counts and why a run failed (cut; `harvester runs show N` for all)."""
    from harvester.app.reports import run_json, runs_table

    if ctx.invoked_subcommand is not None:
        return
    with _open_store().transaction() as repo:
        rows = repo.latest_runs(limit=limit, platform=platform)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(run_json(row), ensure_ascii=False) + "\n")
        return
    console.print(runs_table(rows, title="Harvest runs (newest first)"))


@runs_app.command("show")
def runs_show(run_id: Annotated[int, typer.Argument(help="the run number (first column of `harvester runs`)")],
              as_json: Annotated[bool, typer.Option("--json", help="the run as one JSON object")] = False) -> None:
    """One run whole: every figure and the full reason it failed, never cut; exits 1 when there is no such run."""
    from harvester.app.reports import run_json, run_lines

    with _open_store().transaction() as repo:
        run = repo.get_run(run_id)
    if run is None:
        Console(stderr=True).print(f"[red]no run {run_id}[/red]")
        raise typer.Exit(1)
    if as_json:
        sys.stdout.write(json.dumps(run_json(run), ensure_ascii=False, indent=2) + "\n")
        return
    for label, value in run_lines(run):  # plain lines: a long reason wraps, nothing is cut
        sys.stdout.write(f"{label + ':':<14}{value}\n")


@app.command()
def changes(since: Annotated[int, typer.Option(help="print events with seq greater than this")] = 0,
            limit: int = 1000) -> None:
    """The change feed: one JSON line per event with seq > SINCE (created, status_changed, reply_added …)."""
    with _open_store().transaction() as repo:
        events = repo.events_since(since, limit=limit)
    for event in events:
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")


@app.command()
def export(output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
           fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
           platform: str | None = None,
           full: Annotated[bool, typer.Option(help="include personal data unmasked (handling units only)")] = False,
           excel: Annotated[bool, typer.Option(help="CSV for Excel: UTF-8 BOM, formula-like cells defused")] = False,
           ) -> None:
    """Export messages with replies; phones, ID numbers and names are masked unless --full."""
    from sinks.export import export_messages

    with _open_store().transaction() as repo:
        records = list(repo.iter_messages(platform=platform))
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt not in ("jsonl", "csv"):
            raise typer.BadParameter("--format must be jsonl or csv")
        written = export_messages(records, handle, fmt=fmt, full=full, excel=excel)  # type: ignore[arg-type]
    finally:
        if output:
            handle.close()
    if output:
        console.print(f"exported {written} message(s) to {output}" + (" with personal data" if full else " (masked)"))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the latest (also done automatically on first use)."""
    store = _open_store()
    console.print(f"database at head: {store.engine.url.render_as_string(hide_password=True)}")


@replicas_app.command("serve")
def replicas_serve(seed: int = 7, only: str = "", base_port: int = 8601) -> None:
    """Serve the replica platforms on 127.0.0.1 (jact on 8601, jact_gbk on 8602, …) until Ctrl-C."""
    command = [sys.executable, "-m", "replicas", "serve", "--seed", str(seed), "--base-port", str(base_port)]
    if only:
        command += ["--only", only]
    os.execv(sys.executable, command)  # noqa: S606 - become the server, so Ctrl-C and kill reach it


@platforms_app.command("list")
def platforms_list() -> None:
    """Every configured platform with its family, base URL, boards and whether its definition is valid;
    exits 1 when one is not (nothing is fetched)."""
    from harvester.app.probe import definition_problem
    from harvester.registry import platforms_for

    table = Table("slug", "name", "family", "fetch", "base URL", "boards", "definition")
    problems = {}
    for spec in platforms_for(load_config()).values():
        problem = definition_problem(spec)
        if problem:
            problems[spec.slug] = problem
        table.add_row(spec.slug, spec.name, spec.family, spec.fetch, spec.base_url,
                      ", ".join(f"{b.id} {b.addressee}" for b in spec.boards),
                      "[red]invalid[/red]" if problem else "[green]ok[/green]")
    console.print(table)
    for slug, problem in problems.items():
        console.print(f"[red]✗ {slug}:[/red] {escape(problem)}")
    if problems:
        raise typer.Exit(1)


@app.command()
def demo(seed: int = 7, workdir: Path = Path("."),
         db_url: Annotated[str | None, typer.Option(help="the demo's store (default: WORKDIR/harvester-demo.db; "
                                                         "never the configured one)")] = None) -> None:
    """Replicas -> harvest -> the demo's own SQLite (./harvester-demo.db) -> push one reply -> advance -> harvest
    (the reply is verified) -> summary. HARVESTER_CONFIG and HARVESTER_DB_URL are not used."""
    from harvester.app.demo import run_demo

    raise typer.Exit(run_demo(console, seed=seed, workdir=workdir, db_url=db_url))


def main() -> None:
    """Console entry point; configuration errors end with a one-line message and exit code 2."""
    try:
        app()
    except ConfigError as error:
        Console(stderr=True, soft_wrap=True).print(f"[red]configuration error:[/red] {escape(str(error))}")
        raise SystemExit(2) from error


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
