"""`harvester parse`: a page saved from the real site, read with its platform's parser, printed as masked JSON lines."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from harvester.privacy import mask_record
from harvester.timeutil import SHANGHAI

# Record keys holding a person's name, and free text that may quote a phone or an ID number (list rows, floors).
NAME_KEYS = ("author", "last_poster", "nickName", "nick_name", "poster")
TEXT_KEYS = ("title", "subject", "body", "text", "content")
err = Console(stderr=True, soft_wrap=True)


def masked(record: dict[str, Any]) -> dict[str, Any]:
    """A message, list row or floor with names, phones, ID numbers and e-mail addresses masked (as exports are)."""
    return mask_record(record, fields=NAME_KEYS, text_fields=TEXT_KEYS)


def _fetched_at(value: str | None, path: Path) -> datetime:
    """--fetched-at (a time without an offset is Beijing time), else when the file was saved (its mtime)."""
    if value is None:
        return datetime.fromtimestamp(path.stat().st_mtime, SHANGHAI)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not an ISO time: {value!r}", param_hint="--fetched-at") from error
    return when if when.tzinfo is not None else when.replace(tzinfo=SHANGHAI)


def parse(slug: Annotated[str, typer.Argument(help="platform slug whose parser reads the page")],
          file: Annotated[Path, typer.Argument(help="the saved page: HTML, or a JSON answer", exists=True,
                                               dir_okay=False)],
          url: Annotated[str | None, typer.Option(help="where the page was saved from (tells list from detail, "
                                                       "gives ids and resolves links)")] = None,
          fetched_at: Annotated[str | None, typer.Option(help="when it was saved, ISO 8601 (Beijing time without "
                                                              "an offset; default: the file's time); relative "
                                                              "dates count from it")] = None,
          kind: Annotated[str | None, typer.Option(help="list, detail, thread or api (default: detected)")] = None,
          charset: Annotated[str | None, typer.Option(help="decode with this charset (default: the platform's, "
                                                           "else what the page declares, else UTF-8 or GB18030)")]
          = None,
          ) -> None:
    """Read a saved page with the platform's parser: one JSON line per message, list row or thread floor, personal
    data masked. Exits 1 with the reason when the parser cannot read it (what a harvest would quarantine)."""
    from harvester.definition import find_spec
    from spiders.savedpage import KINDS, Unreadable, read_saved, saved_snapshot

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"one of {', '.join(KINDS)}", param_hint="--kind")
    spec = find_spec(slug)
    snapshot = saved_snapshot(spec, file.read_bytes(), url, _fetched_at(fetched_at, file), charset)
    try:
        reading = read_saved(spec, snapshot, kind, url_given=url is not None)
    except ValueError as error:
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from error
    except Unreadable as error:
        err.print(f"[red]cannot read {escape(str(file))} as a {escape(slug)} page:[/red] {escape(error.reason)}")
        raise typer.Exit(1) from error
    for record in reading.records:
        sys.stdout.write(json.dumps(masked(record), ensure_ascii=False) + "\n")
    what = "message" if reading.message else "row(s)"
    err.print(f"{spec.slug}: read as {reading.page} ({snapshot.charset}): {len(reading.records)} {what}")
    for note in reading.notes:
        err.print(f"  {escape(note)}")
    if reading.message and url is None:
        err.print("  without --url the message's id and URL are guessed (from the page, else left empty)")
