"""`harvester serve` (the HTTP API under uvicorn) and `harvester tokens create|list|revoke`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from harvester.app.api.webhooks import OnDead
    from harvester.store.webhooks import Subscription

from harvester.config import HarvesterConfig, load_config

tokens_app = typer.Typer(help="API tokens for `harvester serve` (stored hashed; a secret is shown once).",
                         no_args_is_help=True)
console = Console()


def _store(config: HarvesterConfig | None = None):  # noqa: ANN202 - a Store; lazy so `--help` never connects
    from harvester.store.db import Store

    return Store.open((config or load_config()).db_url)


def serve_command(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
                  port: Annotated[int, typer.Option(help="TCP port")] = 8080) -> None:
    """Serve the HTTP API (reads, change feed, Open311, reply intake) and the web console (sign in at /login;
    accounts: `harvester users`) until Ctrl-C; API schema at /openapi.json."""
    import uvicorn

    from harvester.app.api.factory import create_app
    from harvester.app.api.settings import load_api_settings

    config = load_config()  # read once; the app gets its sections
    store = _store(config)
    try:
        app = create_app(store, load_api_settings(config), on_dead=dead_webhook_alerter(config))
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        store.close()


def dead_webhook_alerter(config: HarvesterConfig) -> OnDead:
    """A dead webhook subscriber is told to the operators through the configured [alerts] targets."""
    from harvester.app.alerts import Alert
    from harvester.app.monitors.alerting import deliver, load_alert_targets

    targets = load_alert_targets(config)

    def on_dead(subscription: Subscription, error: str) -> None:
        alert = Alert(title=f"webhook {subscription.name} is dead: deliveries stopped", severity="critical",
                      lines=[f"last error: {error}", f"acknowledged up to seq {subscription.acked_seq}",
                             f"resume with POST /webhooks/{subscription.id}/resume once the receiver is back"])
        for problem in deliver(alert, targets):
            console.print(f"[red]alert not delivered:[/red] {problem}")

    return on_dead


@tokens_app.command("create")
def tokens_create(name: str, scope: Annotated[list[str], typer.Option(
        "--scope", help="read, read-full, replies:draft, replies:approve or admin; repeat for several")]) -> None:
    """Create a token and print its secret once (only its hash is stored)."""
    from harvester.store.tokens import TokenError, create_token

    try:
        with _store().transaction() as repo:
            info, secret = create_token(repo, name, scope)
    except TokenError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"token {info.name} ({', '.join(info.scopes)}); keep it now, it is not shown again:")
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token: name, prefix, scopes, created, last used, revoked."""
    from harvester.store.tokens import list_tokens

    with _store().transaction() as repo:
        tokens = list_tokens(repo)
    table = Table("name", "prefix", "scopes", "created", "last used", "revoked")
    for t in tokens:
        table.add_row(t.name, t.prefix + "…", " ".join(t.scopes), f"{t.created_at:%Y-%m-%d %H:%M}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
                      f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "")
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(name: str) -> None:
    """Revoke a token at once: its next request gets 401."""
    from harvester.store.tokens import TokenError, revoke_token

    try:
        with _store().transaction() as repo:
            revoke_token(repo, name)
    except TokenError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"revoked {name}")
