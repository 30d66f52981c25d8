"""`harvester worker`, `harvester enqueue`, `harvester queue`: distributed mode (Celery on Redis, one PostgreSQL
store; docs/scale-out.md)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harvester.config import load_config

BEAT_SCHEDULE_FILE = "beat-schedule"  # under state_dir: when beat last enqueued (a missed hour is caught up)
BROKER_DOWN_EXIT = 69  # EX_UNAVAILABLE: the broker does not answer; an alert went out
console = Console(width=None if sys.stdout.isatty() else 200)


def _app():  # noqa: ANN202 - a Celery app; imported lazily so `--help` stays fast
    from harvester.app.distributed.celeryapp import create_app

    return create_app(load_config())


def worker_command(
        queues: Annotated[str, typer.Option(help="queues to serve: http, browser or http,browser")] = "http",
        concurrency: Annotated[int | None, typer.Option(
            help="tasks at once (default: [distributed] http_concurrency, or browser_concurrency for browser)")
        ] = None,
        name: Annotated[str, typer.Option("--name", "-n", help="node name, unique per host")] = "harvester@%h",
        beat: Annotated[bool, typer.Option(help="also run Celery beat (one per deployment): enqueue what is "
                                           "due at [distributed] beat_hours")] = False,
        loglevel: str = "INFO") -> None:
    """Start a Celery worker: it takes harvest, push and monitor tasks from the broker until stopped."""
    from harvester.app.distributed.settings import load_distributed_settings

    config = load_config()
    app = _app()
    settings = load_distributed_settings(config)
    browser_only = queues.strip() == "browser"
    tasks = concurrency or (settings.browser_concurrency if browser_only else settings.http_concurrency)
    argv = ["worker", "-Q", queues, "-c", str(tasks), "-n", name, "--loglevel", loglevel, "-E"]
    if beat:  # beat keeps when it last fired in the state folder (a worker's cwd, "/" under systemd, is not ours)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        argv += ["-B", "-s", str(config.state_dir / BEAT_SCHEDULE_FILE)]
    app.worker_main(argv)


def _broker_down(error: Exception) -> None:
    """One line, an alert through the configured targets, and exit 69."""
    from harvester.app.distributed.settings import load_distributed_settings
    from harvester.app.monitors.alerting import load_alert_targets, publish
    from harvester.app.monitors.report import Report
    from harvester.store.urls import shown
    from harvester.timeutil import utcnow

    config = load_config()
    try:
        where = shown(load_distributed_settings(config).broker_url)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse: name no part of it
        where = "the configured broker"
    problem = f"the broker at {where} does not answer ({type(error).__name__}: {error}); nothing was enqueued"
    report = Report(utcnow(), [], problems=[problem])
    publish(report, config.state_dir, None, load_alert_targets(config), {}, alert=True)
    Console(stderr=True, soft_wrap=True).print(f"[red]{escape(problem)}[/red]")
    raise typer.Exit(BROKER_DOWN_EXIT)


def enqueue_command(as_json: Annotated[bool, typer.Option("--json", help="what was sent, as one JSON object")]
                    = False) -> None:
    """Enqueue the platforms due by the store's view (for cron); enqueueing twice is harmless. A broker that does
    not answer is an alert and exit 69."""
    from kombu.exceptions import OperationalError

    from harvester.app.distributed.schedule import enqueue

    app = _app()
    try:
        sent = enqueue(app, load_config())
    except (OperationalError, ConnectionError, TimeoutError) as error:
        _broker_down(error)
        return
    platforms = sum(len(batch) for _, batch in sent.tasks)
    if as_json:
        sys.stdout.write(json.dumps({"at": sent.at.isoformat(), "tasks": [{"queue": q, "platforms": b}
                                                                           for q, b in sent.tasks],
                                     "pushes": sent.pushes, "not_due": sent.not_due}, ensure_ascii=False) + "\n")
        return
    console.print(f"enqueued {len(sent.tasks)} harvest task(s) for {platforms} platform(s), "
                  f"{len(sent.pushes)} push task(s); not due: {', '.join(sent.not_due) or 'none'}")


def queue_command(as_json: Annotated[bool, typer.Option("--json", help="one JSON line per entry")] = False) -> None:
    """What is queued and running, per platform and host: the broker's queues, what each worker holds, and the
    runs the store has open."""
    from kombu.exceptions import OperationalError

    from harvester.app.distributed.queueview import broker_queued, per_platform, store_running, worker_held
    from harvester.registry import platforms_for
    from harvester.store.db import Store

    config = load_config()
    app = _app()
    try:
        entries = broker_queued(app) + worker_held(app)
    except (OperationalError, ConnectionError, TimeoutError) as error:
        _broker_down(error)
        return
    with Store.open(config.db_url) as store:
        entries += store_running(store, list(platforms_for(config)))
    if as_json:
        for entry in entries:
            sys.stdout.write(json.dumps({"platform": entry.platform, "state": entry.state, "where": entry.where,
                                         "detail": entry.detail}, ensure_ascii=False) + "\n")
        return
    table = Table("platform", "state", "queue / worker / host", "detail", title="Queued and running")
    for platform, found in per_platform(entries).items():
        for entry in found:
            table.add_row(platform, entry.state, entry.where, entry.detail)
    console.print(table if entries else "nothing queued or running")


def register_distributed_commands(app: typer.Typer) -> None:
    """Add `worker`, `enqueue` and `queue` to the `harvester` command."""
    app.command("worker")(worker_command)
    app.command("enqueue")(enqueue_command)
    app.command("queue")(queue_command)
