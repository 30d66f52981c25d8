"""Operator tools for definition platforms: `platforms new`, `platforms probe`, `fixtures record`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from harvester.registry import PlatformSpec

fixtures_app = typer.Typer(help="Recorded pages for conformance tests.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 200)
DEFAULT_FIXTURES = Path("tests/fixtures")
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
    console.print(f"wrote {definition}\nwrote {test}\nnext: fill in the TODOs, then `harvester platforms probe {slug}`")


def probe(slug: Annotated[str, typer.Argument(help="platform slug")],
          base_url: Annotated[str | None, typer.Option(help="fetch from here instead of the configured URL")] = None,
          pages: Annotated[int, typer.Option(help="list pages to read")] = 1,
          details: Annotated[int, typer.Option(help="detail pages to read")] = 3) -> None:
    """Fetch a few pages live and show, field by field, what was read and what is missing (nothing is stored).

    Exits 1 when any field failed, so it can gate a deploy."""
    from harvester.definition import definition_of, find_spec
    from spiders.generic.probe import detail_pages, list_pages
    from spiders.generic.probe_report import probe_report

    spec = find_spec(slug)
    definition = definition_of(spec)
    url = (base_url or spec.base_url).rstrip("/")
    console.print(f"{spec.slug} ({escape(spec.name)}) at {url}, board {spec.boards[0].id}")
    lists = list(list_pages(spec, definition, url, pages))
    first = next((item.listing for item in lists if item.listing), None)
    found = list(detail_pages(spec, definition, url, first, details)) if first else []
    report = probe_report(definition, lists, found)
    for table in report.tables:
        console.print(_render(table))
    if report.problems:
        console.print(f"[red]{len(report.problems)} problem(s):[/red]")
        for problem in report.problems:
            console.print(f"  [red]✗[/red] {escape(problem)}")
        raise typer.Exit(1)
    console.print("[green]every declared field was read[/green]")


def boards(slug: Annotated[str, typer.Argument(help="platform slug (a people-family platform)")],
           province: Annotated[str, typer.Option(help="fid of the province whose forum tree is read, "
                                                      "e.g. 14 for 浙江省")],
           region: Annotated[str | None, typer.Option(help="only the boards under this region of the province "
                                                          "(a city's or county's fid in the tree)")] = None,
           base_url: Annotated[str | None, typer.Option(help="read a relative forum_tree_url from here")] = None,
           toml_only: Annotated[bool, typer.Option("--toml", help="print only the [\\[boards]] tables of the "
                                                   "boards not yet configured")] = False) -> None:
    """List the leader boards of a province from the 领导留言板 forum tree, and print the ones the platform does
    not watch yet as [\\[boards]] tables for its definition. Nothing is changed."""
    from harvester.definition import find_spec
    from harvester.extract.errors import LayoutChanged
    from spiders.generic.paging import absolute
    from spiders.generic.probe import fetch
    from spiders.people.forum_tree import boards_toml, leader_boards, parse_forum_tree
    from spiders.people.options import parse_options

    spec = find_spec(slug)
    if spec.family != "people":
        console.print(f"[red]{slug} is a {escape(spec.family)} platform: board discovery reads the 领导留言板 "
                      f"forum tree (family people)[/red]")
        raise typer.Exit(2)
    template = parse_options(spec.options, spec.source).forum_tree_url
    url = absolute((base_url or spec.base_url).rstrip("/"), template.format(province=province))
    try:
        snapshot = fetch(url, spec=spec)  # as a harvest of the platform fetches
        if snapshot.status != 200:
            raise LayoutChanged(f"HTTP {snapshot.status}" + (" (is it a province's fid?)" if snapshot.status == 404
                                                             else ""))
        found = leader_boards(parse_forum_tree(snapshot.text), region or province)
    except (OSError, LayoutChanged) as error:
        reason = error.reason if isinstance(error, LayoutChanged) else str(error)
        console.print(f"[red]cannot read the forum tree at {escape(url)}: {escape(reason)}[/red]")
        raise typer.Exit(1) from error
    configured = {board.id for board in spec.boards}
    new_boards = [board for board in found if board.fid not in configured]
    if not toml_only:
        table = Table("fid", "addressee", "region", "watched",
                      title=f"{len(found)} leader boards under {region or province}")
        for board in found:
            table.add_row(board.fid, escape(board.addressee), escape(" / ".join(board.regions)),
                          "yes" if board.fid in configured else "[yellow]no[/yellow]")
        console.print(table)
        console.print(f"{len(new_boards)} not watched yet" + (f"; add to {spec.source}:" if new_boards else ""))
    if new_boards:
        print(boards_toml(new_boards), end="")


def _render(table: object) -> Table:
    from spiders.generic.probe_report import Table as CheckTable

    assert isinstance(table, CheckTable)
    rendered = Table("field", "rule", *table.columns, title=table.title, show_lines=False)
    for name, rule, cells in table.rows:
        rendered.add_row(name, escape(rule), *(f"[{STYLES[c.state]}]{escape(c.text)}[/]" for c in cells))
    return rendered


@fixtures_app.command("record")
def record(slug: Annotated[str, typer.Argument(help="platform slug")],
           base_url: Annotated[str | None, typer.Option(help="fetch from here instead of the configured URL")] = None,
           output: Annotated[Path, typer.Option(help="fixtures root")] = DEFAULT_FIXTURES,
           details: Annotated[int, typer.Option(help="detail cases to keep (one per status)")] = 4,
           check_only: Annotated[bool, typer.Option("--check", help="fetch the recorded cases' pages again and "
                                                    "compare them with their expectations; write nothing")] = False,
           refresh_inputs: Annotated[bool, typer.Option(help="fetch the recorded cases' pages again and replace "
                                                        "their inputs only, keeping expected.json")] = False,
           unmasked: Annotated[bool, typer.Option(help="keep citizens' phone and ID numbers, e-mail addresses and "
                                                  "names as fetched (never commit such cases)")] = False) -> None:
    """Save list page 1 and a few detail pages with their normalised output under OUTPUT/SLUG/ (replacing the
    old cases); the conformance tests then check every field of them. Phone and ID numbers, e-mail addresses
    and labelled names are masked in the pages before they are parsed, so pages and expectations agree and
    can be committed (--unmasked keeps them as fetched).

    With --check or --refresh-inputs the recorded expectations stay as they are: --check exits 1 naming every
    field today's pages no longer give; --refresh-inputs stores today's pages so the conformance tests show it."""
    from harvester.definition import definition_of, find_spec
    from spiders.generic.recorder import record as record_cases

    if check_only and refresh_inputs:
        console.print("[red]--check and --refresh-inputs exclude each other[/red]")
        raise typer.Exit(2)
    spec = find_spec(slug)
    url = (base_url or spec.base_url).rstrip("/")
    if check_only or refresh_inputs:
        _again(spec, url, output, write=refresh_inputs)
        return
    folders = record_cases(spec, definition_of(spec), url, output, details=details, unmasked=unmasked)
    for folder in folders:
        console.print(f"recorded {folder}")
    console.print(f"{len(folders)} case(s); run `pytest tests/unit/test_conformance.py -k {slug}`")


def _again(spec: PlatformSpec, url: str, root: Path, write: bool) -> None:
    """Fetch the recorded cases' pages again: store them as inputs (`write`), or compare and report."""
    from harvester.definition import definition_of
    from harvester.fixtures import load_case, save_case
    from spiders.generic.refresh import differences, refetch

    recorded = [load_case(meta.parent) for meta in sorted((root / spec.slug).glob("*/meta.json"))]
    if not recorded:
        console.print(f"[red]no recorded cases under {root / spec.slug}: record them first[/red]")
        raise typer.Exit(2)
    definition = definition_of(spec)
    cases = refetch(spec, definition, url, recorded)
    if write:
        for case in cases:
            console.print(f"refreshed {save_case(root, case)}")
        hint = f"HARVESTER_FIXTURES_DIR={root} " if root.resolve() != DEFAULT_FIXTURES.resolve() else ""
        console.print(f"{len(cases)} input(s) replaced, expectations kept; run "
                      f"`{hint}pytest tests/unit/test_conformance.py -k {spec.slug}`")
        return
    failed = 0
    for case in cases:
        for name, (expected, got) in differences(case, definition).items():
            failed += 1
            console.print(f"[red]✗[/red] {case.slug}/{case.name}: field {name!r}: expected "
                          f"{escape(_short(expected))}, got {escape(_short(got))}")
    if failed:
        console.print(f"[red]{failed} field(s) differ from the recorded expectations[/red]")
        raise typer.Exit(1)
    console.print(f"[green]{len(cases)} case(s): every field still as recorded[/green]")


def _short(value: object, width: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[:width - 1] + "…"


def register_platform_commands(platforms_app: typer.Typer) -> None:
    """Add `new`, `check` and `boards` to the `harvester platforms` group (next to `list`)."""
    platforms_app.command("new")(new)
    platforms_app.command("probe")(probe)
    platforms_app.command("check", hidden=True)(probe)  # the old name of `platforms probe`
    platforms_app.command("boards")(boards)
