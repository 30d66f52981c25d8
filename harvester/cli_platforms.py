"""Operator tools for definition platforms: `platforms new`, `platforms check`, `fixtures record`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

fixtures_app = typer.Typer(help="Recorded pages for conformance tests.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)
STYLES = {"ok": "green", "absent": "dim", "error": "red", "undeclared": "dim italic"}


def _platforms_dir() -> Path:
    from harvester.config import load_config
    from harvester.registry import BUILTIN_DIR

    dirs = load_config().platforms_dirs
    return dirs[0] if dirs else BUILTIN_DIR


def new(slug: Annotated[str, typer.Argument(help="ASCII slug, e.g. dalian_szxx")],
        name: Annotated[str, typer.Option(help="display name (Chinese is fine)")] = "TODO 市长信箱",
        base_url: Annotated[str, typer.Option(help="the site's root URL")] = "http://127.0.0.1:8600",
        directory: Annotated[Path | None, typer.Option("--dir", help="where the definition goes "
                                                       "(default: first configured platforms dir, else built-in)")]
        = None,
        tests_dir: Annotated[Path, typer.Option(help="where the test skeleton goes")] = Path("tests/unit")) -> None:
    """Write a commented definition (disabled until it works) and a test skeleton for a new platform."""
    from harvester.definition.template import definition_text, skeleton_text
    from harvester.registry import SLUG

    if not SLUG.match(slug):
        console.print(f"[red]{escape(slug)!r} is not a slug: lower-case ASCII letters, digits and _[/red]")
        raise typer.Exit(2)
    definition = (directory or _platforms_dir()) / f"{slug}.toml"
    test = tests_dir / f"test_platform_{slug}.py"
    existing = [p for p in (definition, test) if p.exists()]
    if existing:
        console.print(f"[red]not overwriting {', '.join(map(str, existing))}[/red]")
        raise typer.Exit(1)
    definition.parent.mkdir(parents=True, exist_ok=True)
    test.parent.mkdir(parents=True, exist_ok=True)
    definition.write_text(definition_text(slug, name, base_url.rstrip("/")), encoding="utf-8")
    test.write_text(skeleton_text(slug, name), encoding="utf-8")
    console.print(f"wrote {definition}\nwrote {test}\nnext: fill in the TODOs, then `harvester platforms check {slug}`")


def check(slug: Annotated[str, typer.Argument(help="platform slug")],
          base_url: Annotated[str | None, typer.Option(help="fetch from here instead of the configured URL")] = None,
          pages: Annotated[int, typer.Option(help="list pages to read")] = 1,
          details: Annotated[int, typer.Option(help="detail pages to read")] = 3) -> None:
    """Fetch a few pages live and show, field by field, what was read and what is missing (nothing is stored).

    Exits 1 when any field failed, so it can gate a deploy."""
    from harvester.definition import definition_of, find_spec
    from spiders.generic.checkup import check as run_check
    from spiders.generic.probe import detail_pages, list_pages

    spec = find_spec(slug)
    definition = definition_of(spec)
    url = (base_url or spec.base_url).rstrip("/")
    console.print(f"{spec.slug} ({escape(spec.name)}) at {url}, board {spec.boards[0].id}")
    lists = list(list_pages(spec, definition, url, pages))
    first = next((item.listing for item in lists if item.listing), None)
    found = list(detail_pages(spec, definition, url, first, details)) if first else []
    checkup = run_check(definition, lists, found)
    for table in checkup.tables:
        console.print(_render(table))
    if checkup.problems:
        console.print(f"[red]{len(checkup.problems)} problem(s):[/red]")
        for problem in checkup.problems:
            console.print(f"  [red]✗[/red] {escape(problem)}")
        raise typer.Exit(1)
    console.print("[green]every declared field was read[/green]")


def _render(table: object) -> Table:
    from spiders.generic.checkup import Table as CheckTable

    assert isinstance(table, CheckTable)
    rendered = Table("field", "rule", *table.columns, title=table.title, show_lines=False)
    for name, rule, cells in table.rows:
        rendered.add_row(name, escape(rule), *(f"[{STYLES[c.state]}]{escape(c.text)}[/]" for c in cells))
    return rendered


@fixtures_app.command("record")
def record(slug: Annotated[str, typer.Argument(help="platform slug")],
           base_url: Annotated[str | None, typer.Option(help="fetch from here instead of the configured URL")] = None,
           output: Annotated[Path, typer.Option(help="fixtures root")] = Path("tests/fixtures"),
           details: Annotated[int, typer.Option(help="detail cases to keep (one per status)")] = 4) -> None:
    """Save list page 1 and a few detail pages with their normalised output under OUTPUT/SLUG/ (replacing the
    old cases); the conformance tests then check every field of them."""
    from harvester.definition import definition_of, find_spec
    from spiders.generic.recorder import record as record_cases

    spec = find_spec(slug)
    folders = record_cases(spec, definition_of(spec), (base_url or spec.base_url).rstrip("/"), output,
                           details=details)
    for folder in folders:
        console.print(f"recorded {folder}")
    console.print(f"{len(folders)} case(s); run `pytest tests/unit/test_conformance.py -k {slug}`")


def register_platform_commands(platforms_app: typer.Typer) -> None:
    """Add `new` and `check` to the `harvester platforms` group (next to `list`)."""
    platforms_app.command("new")(new)
    platforms_app.command("check")(check)
