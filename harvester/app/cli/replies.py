"""`harvester replies add|approve|edit|list|show|cancel` and `harvester push`: the outbox from the shell."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harvester.config import ConfigError, HarvesterConfig, load_config
from harvester.timeutil import to_shanghai

replies_app = typer.Typer(help="The reply outbox: draft, approve and follow official replies.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)
By = Annotated[str, typer.Option("--by", help="who is acting (person or system), kept in the audit trail")]
STATE_STYLES = {"verified": "green", "posted": "cyan", "posted_pending_moderation": "cyan", "rejected": "red",
                "dead": "bold red", "cancelled": "dim", "approved": "yellow", "sending": "magenta", "skipped": "yellow"}


def _user() -> str:
    return f"cli:{getpass.getuser()}"


def _outbox(config: HarvesterConfig | None = None) -> Any:  # an Outbox; lazy so `--help` never connects
    from harvester.app.replies.api import Outbox

    return Outbox.open((config or load_config()).db_url)


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]{escape(str(error))}[/red]")
    return typer.Exit(1)


def _when(value: Any) -> str:
    return to_shanghai(value).strftime("%m-%d %H:%M:%S") if value else "-"


def _styled(state: str) -> str:
    style = STATE_STYLES.get(state)
    return f"[{style}]{state}[/]" if style else escape(state)


@replies_app.command("add")
def add(platform: str, external_id: Annotated[str, typer.Argument(help="the message's id on the platform")],
        organisation: Annotated[str, typer.Option("--org", help="the replying unit, as the platform shows it")],
        account: Annotated[str, typer.Option(help="credentials to post as (HARVESTER_ACCOUNT_<SLUG>_<ACCOUNT>_*)")],
        text: Annotated[str | None, typer.Option(help="the reply text")] = None,
        text_file: Annotated[Path | None, typer.Option(help="read the reply text from this UTF-8 file")] = None,
        key: Annotated[str | None, typer.Option(help="your idempotency key: adding twice returns one reply")] = None,
        by: Annotated[str | None, typer.Option("--by", help="who is acting")] = None) -> None:
    """Add a draft reply to a stored message; prints its id and content hash."""
    from harvester.app.replies import KeyConflict, UnknownMessage

    if (text is None) == (text_file is None):
        raise _fail(ValueError("give the text with exactly one of --text or --text-file"))
    body = text if text is not None else Path(str(text_file)).read_text(encoding="utf-8")
    try:
        reply = _outbox().add(platform, external_id, body, organisation, account, by or _user(), key)
    except (KeyConflict, UnknownMessage, ValueError) as error:
        raise _fail(error) from error
    console.print(f"reply {reply.id} ({reply.state}) content hash {reply.content_hash}")


@replies_app.command("approve")
def approve(reply_id: int, by: By,
            content_hash: Annotated[str | None, typer.Option("--hash", help="hash shown by `show`: refuse if the "
                                                                             "reply changed since")] = None) -> None:
    """Approve a draft as it is now (the approval covers this exact text, unit and account)."""
    from harvester.app.replies import ApprovalMismatch, IllegalTransition, UnknownReply

    try:
        reply = _outbox().approve(reply_id, by, content_hash)
    except (ApprovalMismatch, IllegalTransition, UnknownReply) as error:
        raise _fail(error) from error
    console.print(f"reply {reply.id} approved by {escape(by)} (hash {reply.approved_hash})")


@replies_app.command("edit")
def edit(reply_id: int, text: Annotated[str, typer.Option(help="the new text")],
         by: Annotated[str | None, typer.Option("--by", help="who is acting")] = None) -> None:
    """Change a reply's text; an approved reply goes back to draft (its approval is voided)."""
    from harvester.app.replies import IllegalTransition, UnknownReply

    try:
        reply = _outbox().edit(reply_id, text, by or _user())
    except (IllegalTransition, UnknownReply, ValueError) as error:
        raise _fail(error) from error
    console.print(f"reply {reply.id} is {reply.state}; content hash {reply.content_hash}")


@replies_app.command("cancel")
def cancel(reply_id: int, reason: str = "", by: Annotated[str | None, typer.Option("--by")] = None) -> None:
    """Withdraw a draft or approved reply so it is never sent."""
    from harvester.app.replies import IllegalTransition, UnknownReply

    try:
        reply = _outbox().cancel(reply_id, by or _user(), reason)
    except (IllegalTransition, UnknownReply) as error:
        raise _fail(error) from error
    console.print(f"reply {reply.id} cancelled")


@replies_app.command("list")
def list_replies(state: Annotated[list[str] | None, typer.Option(help="only these states")] = None,
                 platform: str | None = None, limit: int = 100,
                 unverified: Annotated[bool, typer.Option(help="posted replies later harvests have not seen")] = False,
                 ) -> None:
    """Replies, newest first; --unverified lists posted ones not seen after `unverified_after_runs` harvests."""
    from harvester.app.replies.settings import load_reply_config

    config = load_config()
    box = _outbox(config)
    table = Table("id", "state", "platform", "message", "unit", "account", "tries", "updated (UTC+8)", "why",
                  title="Unverified replies" if unverified else "Reply outbox")
    if unverified:
        after = load_reply_config(config).unverified_after_runs
        rows = [(u.reply, f"unseen by {u.runs_since} runs") for u in box.unverified(after)]
    else:
        rows = [(r, r.reason or "") for r in box.list_replies(tuple(state or ()), platform, limit)]
    for reply, why in rows:
        table.add_row(str(reply.id), _styled(reply.state), reply.platform, reply.external_id, reply.organisation,
                      reply.account, str(reply.attempts), _when(reply.updated_at), escape(why[:80]))
    console.print(table)


@replies_app.command("show")
def show(reply_id: int) -> None:
    """One reply: its text, approval, platform answer, and the whole audit trail."""
    from harvester.app.replies import UnknownReply

    box = _outbox()
    try:
        reply, trail = box.get(reply_id), box.history(reply_id)
    except UnknownReply as error:
        raise _fail(error) from error
    approval = (f"{reply.approved_by} at {_when(reply.approved_at)} ({'valid' if reply.approval_valid else 'VOID'})"
                if reply.approved_by else "not approved")
    console.print(f"[bold]reply {reply.id}[/bold] {_styled(reply.state)}")
    facts = {"message": f"{reply.platform}/{reply.external_id}", "unit": reply.organisation,
             "account": reply.account, "approval": approval, "content hash": reply.content_hash,
             "attempts": str(reply.attempts), "platform id": reply.platform_reply_id or "-",
             "platform said": reply.platform_message or "-", "why": reply.reason or "-"}
    for label, value in facts.items():
        console.print(f"[bold]{label}:[/bold] {escape(value)}")
    console.print(f"[bold]text:[/bold]\n{escape(reply.text)}")
    table = Table("at (UTC+8)", "actor", "from", "to", "detail", title="Audit trail")
    for entry in trail:
        table.add_row(_when(entry.at), escape(entry.actor), entry.from_state or "-", entry.to_state,
                      escape(entry.detail or ""))
    console.print(table)


def push(dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be sent; send nothing")] = False,
         platform: Annotated[list[str] | None, typer.Option(help="only these platforms")] = None,
         limit: Annotated[int | None, typer.Option(help="at most this many replies")] = None) -> None:
    """Send approved replies to their platforms, exactly once; exits 1 if any went dead or could not be tried."""
    from harvester import logsafety
    from harvester.app.replies.adapters import AdapterPool
    from harvester.app.replies.settings import load_reply_config
    from harvester.registry import load_platforms
    from harvester.secrets import Secrets
    from harvester.store.db import Store

    config = load_config()
    logging.basicConfig(level=config.log_level, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s "
                        "%(message)s")
    logsafety.install()
    reply_config = load_reply_config(config)
    pool = AdapterPool(load_platforms(config.platforms_dirs, config.platform_overrides),
                       Secrets.load(config.secrets_file), reply_config)
    store = Store.open(config.db_url)
    if reply_config.staging:
        console.print("[bold yellow]STAGING: every reply goes to its platform's staging replica[/]")
    if dry_run:
        _print_plan(store, pool, platform or [], limit)
        return
    results = asyncio.run(_push(store, pool, reply_config, platform or [], limit))
    table = Table("reply", "platform", "message", "now", "detail", title="This push")
    for result in results:
        table.add_row(str(result.reply_id), result.platform, result.external_id, _styled(result.state),
                      escape(result.detail[:120]))
    console.print(table)
    if any(result.state in ("dead", "skipped") for result in results):
        raise typer.Exit(1)


async def _push(store: Any, pool: Any, reply_config: Any, platforms: list[str], limit: int | None) -> list[Any]:
    from harvester.app.replies.push import Pusher

    try:
        return await Pusher(store, pool, reply_config).push(platforms, limit)
    finally:
        await pool.close()


def _print_plan(store: Any, pool: Any, platforms: list[str], limit: int | None) -> None:
    from harvester.app.replies.plan import plan

    planned = plan(store, pool, platforms, limit)
    table = Table("reply", "platform", "message", "unit", "account", "action", "to", "text",
                  title=f"Dry run: {len(planned)} repl{'y' if len(planned) == 1 else 'ies'}, nothing sent")
    for item in planned:
        table.add_row(str(item.reply_id), item.platform, item.external_id, item.organisation, item.account,
                      escape(item.action), item.target_url or "-", escape(item.text))
    console.print(table)


standalone = typer.Typer(help="Replies without the main `harvester` command (tests, rehearsals).",
                         no_args_is_help=True, add_completion=False)
standalone.add_typer(replies_app, name="replies")
standalone.command("push")(push)


if __name__ == "__main__":
    try:
        standalone()
    except ConfigError as error:
        Console(stderr=True, soft_wrap=True).print(f"[red]configuration error:[/red] {escape(str(error))}")
        raise SystemExit(2) from error
