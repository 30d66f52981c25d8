"""`harvester users add|passwd|disable|list`: the web console's local accounts (argon2 hashes in the store)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harvester.config import load_config

users_app = typer.Typer(help="Accounts of the web console (`harvester serve`, sign in at /login).",
                        no_args_is_help=True)
console = Console()
PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="read the password from the first line of stdin (no prompt)")]


def _store():  # noqa: ANN202 - a Store; imported lazily so `--help` never connects
    from harvester.store.db import Store

    return Store.open(load_config().db_url)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(name: str, role: Annotated[str, typer.Option(help="viewer, drafter, approver or admin")],
              password_stdin: PasswordStdin = False) -> None:
    """Create a console account with a role."""
    from harvester.store.console_accounts import AccountError, add_user

    password = _password(password_stdin)
    try:
        with _store().transaction() as repo:
            user = add_user(repo, name, role, password)
    except AccountError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"console user {user.name} ({user.role}) created")


@users_app.command("passwd")
def users_passwd(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; the user's open sessions end."""
    from harvester.store.console_accounts import AccountError, set_password

    password = _password(password_stdin)
    try:
        with _store().transaction() as repo:
            set_password(repo, name, password)
    except AccountError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"password of {name} changed; their sessions ended")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Refuse the user's sign-in from now on and end their sessions."""
    from harvester.store.console_accounts import AccountError, disable_user

    try:
        with _store().transaction() as repo:
            disable_user(repo, name)
    except AccountError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"disabled {name}")


@users_app.command("list")
def users_list() -> None:
    """Every console user: name, role, created, disabled."""
    from harvester.store.console_accounts import list_users

    with _store().transaction() as repo:
        users = list_users(repo)
    table = Table("name", "role", "created", "disabled")
    for user in users:
        table.add_row(user.name, user.role, f"{user.created_at:%Y-%m-%d %H:%M}",
                      f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "")
    console.print(table)
