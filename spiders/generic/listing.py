"""List pages of a definition -> rows (raw field values, public or not) and whether more pages follow. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from harvester.definition.model import Definition, ListSpec
from harvester.extract.errors import LayoutChanged
from harvester.extract.quarantine import row_page
from harvester.extract.snapshot import Snapshot
from spiders.generic.paging import has_more
from spiders.generic.values import Missing, Scope, matched, read, read_all, select


@dataclass(frozen=True, slots=True)
class Row:
    """One letter on the list: raw field values by name (`id`, `link`, `title` …), and what failed."""

    public: bool
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the row as the page wrote it (its JSON, or its markup), kept when the row is quarantined

    @property
    def id(self) -> str | None:
        value = self.values.get("id")
        return str(value) if value else None


@dataclass(frozen=True, slots=True)
class ListPage:
    rows: tuple[Row, ...]
    more: bool
    errors: dict[str, str] = field(default_factory=dict)  # page-level: rows, next, total, pages, form.<name>
    carried: dict[str, str] = field(default_factory=dict)  # form values the next page posts back (__VIEWSTATE …)
    rejected: tuple[Row, ...] = ()  # public rows that failed while others on the page read (see `usable_rows`)

    @property
    def public(self) -> list[Row]:
        return [row for row in self.rows if row.public]


def _xml_records(snapshot: Snapshot) -> tuple[Selector, Selector]:
    """Hanweb jpage XML: the document (for <totalrecord>) and the CDATA records as one HTML page (for rows)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(snapshot.body, parser=parser)
    if root is None:
        raise LayoutChanged("list: the dataproxy answer is not XML")
    records = "".join(record.text or "" for record in root.iter("record"))
    return Selector(root=root, type="xml"), Selector(text=f"<html><body>{records}</body></html>")


def documents(snapshot: Snapshot, spec: ListSpec) -> tuple[Scope, Scope]:
    """(page scope for paging rules, scope the rows are selected in)."""
    text = snapshot.text
    if spec.format == "json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise LayoutChanged(f"list: the answer is not JSON ({error})") from error
        scope = Scope(url=snapshot.url, text=text, data=data)
        return scope, scope
    if spec.format == "hanweb_xml":
        document, records = _xml_records(snapshot)
        return Scope(url=snapshot.url, text=text, node=document), Scope(url=snapshot.url, text=text, node=records)
    page = Scope(url=snapshot.url, text=text, node=Selector(text=text))
    return page, page


def _row_scope(match: Any, url: str) -> Scope:
    if isinstance(match, Selector):
        return Scope(url=url, text=match.get(), node=match)
    return Scope(url=url, text=json.dumps(match, ensure_ascii=False), data=match)


def _letter_no(spec: ListSpec, scope: Scope) -> dict[str, Any]:
    rule = spec.fields.get("letter_no")
    try:
        value = read(rule, scope) if rule is not None else None
    except Missing:
        value = None
    return {"letter_no": value} if value else {}


def read_row(spec: ListSpec, scope: Scope) -> Row:
    """A row's fields; a non-public row (its marker matches) keeps only its letter number, if it shows one
    (to notice a stored letter made non-public)."""
    if matched(spec.not_public, scope):
        return Row(public=False, values=_letter_no(spec, scope), raw=scope.text)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, rule in spec.fields.items():
        try:
            if rule.every:
                values[name] = [urljoin(scope.url, v) for v in read_all(rule, scope)]
                continue
            value = read(rule, scope, block=name == "body")
        except Missing as missing:
            errors[name] = f"list: {name}: {missing.reason}"
            continue
        if value is not None:
            values[name] = urljoin(scope.url, value) if name == "link" else value
    return Row(public=True, values=values, errors=errors, raw=scope.text)


def _number(rule_name: str, spec: ListSpec, scope: Scope, errors: dict[str, str]) -> int | None:
    rule = getattr(spec.paging, rule_name)
    if rule is None:
        return None
    try:
        value = read(rule, scope)
        return int(value.replace(",", "")) if value else None
    except (Missing, ValueError) as error:
        errors[rule_name] = f"list: paging.{rule_name}: {getattr(error, 'reason', error)}"
        return None


def _carried(spec: ListSpec, scope: Scope, errors: dict[str, str]) -> dict[str, str]:
    """The form values read from this page for the next one; an optional rule that finds nothing is left out."""
    values: dict[str, str] = {}
    for name, rule in spec.carried.items():
        try:
            value = read(rule, scope)
        except Missing as missing:
            errors[f"form.{name}"] = f"list: form.{name}: {missing.reason}"
            continue
        if value is not None:
            values[name] = value
    return values


def parse_list(snapshot: Snapshot, definition: Definition, page: int) -> ListPage:
    """Every row of a list page with what each field read, and whether another page follows.

    Lenient: field failures are kept per row and per page (see `require_complete`); only a document that
    cannot be read at all raises LayoutChanged.
    """
    spec = definition.list
    page_scope, rows_scope = documents(snapshot, spec)
    rows = tuple(read_row(spec, _row_scope(m, snapshot.url)) for m in select(spec.rows.source, spec.rows.query,
                                                                                rows_scope))
    errors: dict[str, str] = {}
    if not rows and page == 1 and not spec.may_be_empty:
        errors["rows"] = f"list: {spec.rows.describe()} matched no rows on the first page"
    total, pages = _number("total", spec, page_scope, errors), _number("pages", spec, page_scope, errors)
    carried = _carried(spec, page_scope, errors)
    more = not errors and has_more(spec.paging, page, len(rows), matched(spec.paging.next, page_scope), total, pages)
    return ListPage(rows=rows, more=more, errors=errors, carried=carried)


def require_complete(listing: ListPage) -> ListPage:
    """The page unchanged, or LayoutChanged naming every field that failed (the spider's strict view)."""
    problems = dict(listing.errors)
    for row in listing.public:
        for name, reason in row.errors.items():
            problems.setdefault(name, reason)
    if problems:
        raise LayoutChanged("; ".join(problems.values()))
    return listing


def usable_rows(listing: ListPage) -> ListPage:
    """The spider's view: LayoutChanged for a page-level failure or when every public row failed (the layout
    changed); otherwise the page with the rows that read, and the rows that failed set apart in `rejected`
    (rows are independent letters: one hostile or malformed row must not cost the others)."""
    failed = tuple(row for row in listing.public if row.errors)
    if listing.errors or (failed and len(failed) == len(listing.public)):
        return require_complete(listing)
    if not failed:
        return listing
    kept = tuple(row for row in listing.rows if not (row.public and row.errors))
    return replace(listing, rows=kept, rejected=failed)


def row_snapshot(page: Snapshot, row: Row, json_rows: bool) -> Snapshot:
    """A rejected row as a page of its own for the quarantine: the list page's URL and time, the row's text."""
    return row_page(page, row.raw, "application/json" if json_rows else "text/html")
