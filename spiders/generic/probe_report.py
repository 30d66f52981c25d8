"""What `platforms probe` shows: field by field, what a definition read from live pages and what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harvester.definition import Definition
from harvester.definition.model import MESSAGE_FIELDS
from harvester.definition.rules import Rule
from harvester.extract.errors import NotPublic
from harvester.schema import Reply
from harvester.timeutil import to_shanghai
from spiders.generic.convert import Letter
from spiders.generic.message import read_letter
from spiders.generic.probe import Fetched

REPLY_CHECKS = ("reply.text", "reply.organisation", "reply.replied_at", "reply.title")
WIDTH = 36


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    state: str  # ok | absent | error | undeclared


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, str, list[Cell]]] = field(default_factory=list)  # field, rule, cells


@dataclass
class ProbeReport:
    tables: list[Table] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ⏎ ")
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"


def _rule(definition: Definition, name: str) -> tuple[str, Rule | None]:
    reply = definition.detail.reply
    if name.startswith("reply."):
        rule = getattr(reply, name.removeprefix("reply."), None) if reply else None
        return ("detail", rule)
    if name in definition.detail.fields:
        return ("detail", definition.detail.fields[name])
    return ("list", definition.list.fields.get(name))


def list_table(definition: Definition, fetched: list[Fetched], report: ProbeReport) -> Table:
    """One row per list field: how many public rows it was read on, an example, and the first failure."""
    rows = [row for item in fetched if item.listing for row in item.listing.public]
    table = Table(f"List: {len(rows)} public letters on {len(fetched)} page(s)", ("filled", "example", "problem"))
    for item in fetched:
        for reason in ([item.error] if item.error else []) + list(item.listing.errors.values() if item.listing else []):
            report.problems.append(f"list page {item.context.get('page')}: {reason}")
    for name, rule in definition.list.fields.items():
        filled = [row.values[name] for row in rows if name in row.values]
        failures = [row.errors[name] for row in rows if name in row.errors]
        problem = Cell(failures[0], "error") if failures else Cell("", "ok")
        if failures:
            report.problems.append(f"{name}: {failures[0]} ({len(failures)} of {len(rows)} rows)")
        example = Cell(_short(filled[0]), "ok") if filled else Cell("—", "absent")
        table.rows.append((name, f"list: {rule.describe()}", [Cell(f"{len(filled)}/{len(rows)}", "ok"), example,
                                                                problem]))
    return table


def _shown(letter: Letter, name: str) -> Any:
    values = letter.values
    if name.startswith("reply."):
        replies: tuple[Reply, ...] = values.get("replies", ())
        value = getattr(replies[0], name.removeprefix("reply.")) if replies else None
        return to_shanghai(value).strftime("%Y-%m-%d %H:%M:%S") if name == "reply.replied_at" and value else value
    if name in ("status", "kind", "topic") and name in values:
        return f"{values[name + '_raw']} → {values[name].value}"
    if name == "posted_at" and name in values:
        return to_shanghai(values[name]).strftime("%Y-%m-%d %H:%M:%S")
    value = values.get(name)
    return None if value is None or value in ("", (), [], {}) else value  # False (not overdue) is a value


def _cell(letter: Letter | str, name: str, declared: bool) -> Cell:
    if isinstance(letter, str):
        return Cell(letter, "error")
    if name in letter.errors:
        return Cell(letter.errors[name], "error")
    shown = _shown(letter, name)
    if shown is not None:
        return Cell(_short(shown), "ok")
    return Cell("—" if declared else "not declared", "absent" if declared else "undeclared")


def detail_table(definition: Definition, fetched: list[Fetched], report: ProbeReport) -> Table:
    """One row per canonical field, one column per letter: the value read, or why it is missing."""
    letters: list[Letter | str] = []
    for item in fetched:
        try:
            letters.append(item.error or read_letter(item.snapshot, definition, item.context.get("row", {})))
        except NotPublic as refusal:
            letters.append(f"not public: {refusal.reason}")
    table = Table(f"Details: {len(letters)} letter(s)", tuple(f"letter {n}" for n in range(1, len(letters) + 1)))
    for name in (*MESSAGE_FIELDS, *REPLY_CHECKS):
        where, rule = _rule(definition, name)
        cells = [_cell(letter, name, rule is not None) for letter in letters]
        for number, cell in enumerate(cells, start=1):
            if cell.state == "error":
                report.problems.append(f"letter {number}: {name}: {cell.text}")
        table.rows.append((name, f"{where}: {rule.describe()}" if rule else "", cells))
    return table


def probe_report(definition: Definition, lists: list[Fetched], details: list[Fetched]) -> ProbeReport:
    """The list and detail tables and every problem found (an empty list means the definition works)."""
    report = ProbeReport()
    report.tables.append(list_table(definition, lists, report))
    report.tables.append(detail_table(definition, details, report))
    if not details:
        report.problems.append("no public letter on the list: no detail page could be checked")
    return report
