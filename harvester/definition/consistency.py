"""Consistency across a definition's sections: required fields covered, sources fit the format, placeholders used."""

from __future__ import annotations

import re
from collections.abc import Iterator

from harvester.definition.model import CURSOR_FIELDS, REQUIRED_FIELDS, Definition
from harvester.definition.rules import Rule
from harvester.definition.sections import Where

LIST_PLACEHOLDERS = ("page", "offset", "start", "end", "size", "board")
DETAIL_PLACEHOLDERS = ("id", "board")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NEEDS = {"page": ("page",), "offset": ("offset",), "records": ("start", "end"), "index": ("page",)}
ROW_SOURCES = {"html": ("css", "xpath", "id", "regex", "exists", "const"), "hanweb_xml": ("css", "xpath", "id", "regex",
               "exists", "const"), "json": ("json", "regex", "const")}
DETAIL_SOURCES = ("css", "xpath", "id", "label", "regex", "exists", "const")
_SCRIPT_ATTRIBUTE = re.compile(r"(?:^|/)@(on[a-z]+)\s*$", re.IGNORECASE)


def _path(dotted: str) -> list[str]:
    return dotted.split(".")


def _fail(where: Where, dotted: str, problem: str) -> None:
    raise where.error(_path(dotted), problem)


def _list_rules(definition: Definition) -> Iterator[Rule]:
    spec = definition.list
    yield spec.rows
    yield from (r for r in (spec.not_public, spec.paging.next, spec.paging.total, spec.paging.pages) if r)
    yield from spec.fields.values()
    yield from spec.carried.values()


def _detail_rules(definition: Definition) -> Iterator[Rule]:
    spec = definition.detail
    yield from (r for r in (spec.not_public,) if r)
    if spec.labels:
        yield from (r for r in (spec.labels.cells, spec.labels.value) if r)
    yield from spec.fields.values()
    if spec.reply:
        yield from (r for r in (spec.reply.text, spec.reply.organisation, spec.reply.replied_at, spec.reply.title,
                                   spec.reply.each)
                    if r)


def _check_sources(definition: Definition, where: Where) -> None:
    allowed = ROW_SOURCES[definition.list.format]
    for rule in _list_rules(definition):
        if rule.source not in allowed:
            _fail(where, rule.path, f"a {rule.source} rule cannot read a {definition.list.format} list; "
                                    f"use one of {list(allowed)}")
    for rule in _detail_rules(definition):
        if rule.source not in DETAIL_SOURCES:
            _fail(where, rule.path, f"a {rule.source} rule cannot read an HTML detail page")
        if rule.source == "label" and definition.detail.labels is None:
            _fail(where, rule.path, "a label rule needs [options.detail.labels] (which cells are labels)")
    for rule in (*_list_rules(definition), *_detail_rules(definition)):
        if rule.every and not rule.path.endswith(".attachments"):
            _fail(where, rule.path, "'all' (every match) is only for attachments")


def _placeholders(where: Where, dotted: str, text: str, allowed: tuple[str, ...]) -> set[str]:
    found = set(_PLACEHOLDER.findall(text))
    unknown = sorted(found - set(allowed))
    if unknown:
        _fail(where, dotted, f"unknown placeholder(s) {unknown}; use {['{' + a + '}' for a in allowed]}")
    return found


def _check_paging(definition: Definition, where: Where) -> None:
    spec = definition.list
    used = _placeholders(where, "options.list.url", spec.url, LIST_PLACEHOLDERS)
    for name, field_value in spec.form.items():
        used |= _placeholders(where, f"options.list.form.{name}", field_value, LIST_PLACEHOLDERS)
    kind = spec.paging.kind
    # A postback carries the list's position in the state read from the previous page (GridView `Page$Next`).
    if not spec.postback and not used & set(_NEEDS[kind]):
        wanted = " or ".join("{" + name + "}" for name in _NEEDS[kind])
        _fail(where, "options.list.url", f"paging kind {kind!r} needs {wanted} in the url or a form field")
    if kind in ("offset", "records") and spec.paging.size is None:
        _fail(where, "options.list.paging.size", f"paging kind {kind!r} needs the page size")
    if kind == "index" and not spec.paging.first_url:
        _fail(where, "options.list.paging.first_url", "paging kind 'index' needs the first page's URL (index.html)")
    urls: dict[str, str | None] = {"options.list.url": spec.url, "options.detail.url": definition.detail.url,
                                   "options.list.paging.first_url": spec.paging.first_url}
    for dotted, value in urls.items():
        if value is not None and not value.startswith(("/", "http://", "https://")):
            _fail(where, dotted, f"must start with / (relative to base_url) or http(s)://, got {value!r}")
    if spec.paging.first_url is not None:
        _placeholders(where, "options.list.paging.first_url", spec.paging.first_url, LIST_PLACEHOLDERS)
    if definition.detail.url is not None:
        _placeholders(where, "options.detail.url", definition.detail.url, DETAIL_PLACEHOLDERS)


def _check_fields(definition: Definition, where: Where) -> None:
    rows, detail = definition.list.fields, definition.detail.fields
    if "id" not in rows:
        _fail(where, "options.list.fields.id", "missing required field: the platform's own id of each letter")
    if "link" not in rows and definition.detail.url is None:
        _fail(where, "options.list.fields.link", "give the row's detail link, or options.detail.url with {id}")
    for name in REQUIRED_FIELDS:
        if name not in rows and name not in detail:
            _fail(where, f"options.detail.fields.{name}", "missing required field (read it on the detail page "
                                                          "or the list row)")
    if "status" not in detail and definition.list.recheck != "list":
        _fail(where, "options.list.recheck", "the status is read on the list only: set recheck = \"list\" so open "
                                             "letters are re-checked through the list")
    _check_cursor(definition, where)
    if definition.list.paging.lookback_days and ("posted_at" not in rows or rows["posted_at"].optional):
        _fail(where, "options.list.paging.lookback_days", "reading back by date needs each row's posting date: add "
                                                          "a required posted_at to [options.list.fields] (a regex "
                                                          "and format may take it out of a letter number: "
                                                          "{ xpath = \"./a[1]\", regex = \"G(\\\\d{8})-\", "
                                                          "format = \"%Y%m%d\" })")


def _check_cursor(definition: Definition, where: Where) -> None:
    """Every part a required list field the store keeps; anything but the id alone ends with the id, because
    letter numbers, dates and titles repeat (大连 gave two different letters the number G20180321-0036)."""
    cursor, rows = definition.list.cursor, definition.list.fields
    for part in cursor:
        if part != "id" and (part not in rows or rows[part].optional):
            _fail(where, "options.list.cursor", f"{part!r} must be 'id' or a required list field")
        if part not in CURSOR_FIELDS:
            _fail(where, "options.list.cursor", f"{part!r} cannot be part of the cursor: use fields the store keeps "
                                                f"as the site shows them, {list(CURSOR_FIELDS)}")
    if len(set(cursor)) != len(cursor):
        _fail(where, "options.list.cursor", f"{list(cursor)} names a field twice")
    if cursor[-1] != "id":
        _fail(where, "options.list.cursor", f"{list(cursor)} can name two letters with one key (letter numbers "
                                            f"repeat on real sites): end it with the id, e.g. "
                                            f"{[*[p for p in cursor if p != 'id'], 'id']}")


def _script_attributes(definition: Definition, where: Where) -> None:
    """An onclick (or any on*) attribute holds script such as `window.open('../detail.aspx?id=7')`: a rule
    reading one needs a regex to take the value out of it."""
    for rule in (*_list_rules(definition), *_detail_rules(definition)):
        attribute = rule.attr if rule.attr and rule.attr.lower().startswith("on") else None
        found = _SCRIPT_ATTRIBUTE.search(rule.query) if rule.source == "xpath" else None
        name = attribute or (found.group(1) if found else None)
        if name and rule.regex is None:
            _fail(where, rule.path, f"the {name} attribute is script, not a value: add a regex that takes the URL or "
                                    f"id out of it, e.g. regex = \"window\\\\.open\\\\(['\\\"]([^'\\\"]+)\"")


def _check_postback(definition: Definition, where: Where) -> None:
    """Form values read from the previous list page are posted back: a POST, pages reached one from another."""
    spec = definition.list
    if not spec.postback:
        return
    first = next(iter(spec.carried))
    if spec.method != "POST":
        _fail(where, "options.list.method", f"form field {first!r} is read from the previous list page and "
                                            "posted back: set method = \"POST\"")
    if spec.paging.kind == "index":
        _fail(where, "options.list.paging.kind", "a postback list (form values read from the previous page) "
                                                 "cannot page by URL: use kind \"page\" or \"offset\"")


def check_consistency(definition: Definition, where: Where) -> None:
    """Raise DefinitionError for the first inconsistency between sections."""
    _check_fields(definition, where)
    _check_sources(definition, where)
    _script_attributes(definition, where)
    _check_postback(definition, where)
    _check_paging(definition, where)
