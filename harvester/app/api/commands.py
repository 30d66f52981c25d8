"""`harvester serve` (the HTTP API under uvicorn) and `harvester tokens create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harvester.config import load_config

tokens_app = typer.Typer(help="API tokens for `harvester serve` (stored hashed; a secret is shown once).",
                         no_args_is_help=True)
console = Console()


def _store():  # noqa: ANN202 - a Store; imported lazily so `--help` never connects
    from harvester.store.db import Store

    return Store.open(load_config().db_url)


def serve_command(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
                  port: Annotated[int, typer.Option(help="TCP port")] = 8080) -> None:
    """Serve the HTTP API (reads, change feed, Open311, reply intake) until Ctrl-C; schema at /openapi.json."""
    import uvicorn

    from harvester.app.api.factory import create_app
    from harvester.app.api.settings import load_api_settings

    store = _store()
    try:
        uvicorn.run(create_app(store, load_api_settings()), host=host, port=port, log_level="info")
    finally:
        store.close()


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
