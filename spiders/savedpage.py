"""A page an operator saved from a real site, read with its platform's page objects (`harvester parse`): which
page object reads it, what the spider would know when parsing it, and the messages or list rows it gives. Pure."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harvester.definition import Definition, definition_of
from harvester.extract.errors import LayoutChanged, NotPublic, ParseOutcome
from harvester.extract.snapshot import Snapshot, declared_encoding
from harvester.families import FamilyError
from harvester.registry import PlatformSpec, family_record
from spiders.generic.message import ERROR_KEYS
from spiders.pageindex import parse_recorded

KINDS = ("list", "detail", "thread", "api")
MESSAGE_PAGES = ("detail", "thread", "content")


class Unreadable(ParseOutcome):
    """No page object of the platform reads the saved page as the kind asked (or any kind, when detecting); the
    reason names each outcome (LayoutChanged: what a harvest would quarantine; NotPublic: a refusal page)."""


@dataclass(frozen=True, slots=True)
class SavedPages:
    """How one family reads a page an operator saved (its Family record's `saved`).

    `kinds`: the page objects (spiders.pageindex names) each kind asks for; "thread" and "detail" both mean one
    message's page; a kind missing is not a page the family has. `page_of_url(spec, definition, url)`: which
    page a URL of the platform is, or None. `context(spec, definition, page, snapshot)`: what the spider knows
    when it parses that page (the recorded fixtures' context). `html_pages`: the pages a non-JSON answer can be
    when the kind is not given (None: its list and detail pages). `screen(snapshot)`: why an answer is not data
    (a block page, a refused signature), before any page object reads it. `read_first(page, snapshot)`: the
    family's own reading of a page, tried before the page object (None: use the page object). `definition`: the
    platform's definition file is its layout (the generic family)."""

    kinds: Mapping[str, tuple[str, ...]]
    page_of_url: Callable[[PlatformSpec, Definition | None, str], str | None]
    context: Callable[[PlatformSpec, Definition | None, str, Snapshot], dict[str, Any]]
    html_pages: tuple[str, ...] | None = None
    screen: Callable[[Snapshot], str | None] | None = None
    read_first: Callable[[str, Snapshot], Reading | None] | None = None
    definition: bool = False


@dataclass(frozen=True, slots=True)
class Reading:
    """What a saved page reads as: the page object used, its records (a message, or list rows), notes."""

    page: str
    message: bool  # records hold one message (else list rows or thread floors)
    records: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def saved_snapshot(spec: PlatformSpec, body: bytes, url: str | None, fetched_at: datetime,
                   charset: str | None = None) -> Snapshot:
    """The saved bytes as the spider's snapshot would be: decoded with `charset` or the platform's when one is
    set, else with what the page declares (<meta> or XML declaration; GBK pages read as GB18030). A saved file
    has lost its HTTP header, which is where some answers declare GBK (jact's data proxy script): bytes that
    declare nothing and are not UTF-8 are read as GB18030. Without a URL the page stands at the site's root."""
    encoding = charset or spec.charset
    if encoding is None and declared_encoding({}, body) == "utf-8":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"
    return Snapshot(url=url or f"{spec.base_url}/", status=200, body=body, fetched_at=fetched_at, headers={},
                    encoding=encoding)


def read_saved(spec: PlatformSpec, snapshot: Snapshot, kind: str | None, url_given: bool) -> Reading:
    """Read the page as `kind` (None: detected from the URL, else by which page object reads it).

    Raises ValueError for a kind the family does not have, Unreadable with every page object's outcome when none
    reads it."""
    reader = reader_of(spec)
    definition = definition_of(spec) if reader.definition else None
    pages = candidates(spec, definition, snapshot, kind, url_given)
    refused = reader.screen(snapshot) if reader.screen is not None else None
    if refused is not None:
        raise Unreadable(refused)
    reasons = []
    for page in pages:
        try:
            return _read(spec, reader, definition, page, snapshot)
        except (LayoutChanged, NotPublic) as error:
            where = f"{page}: " if len(pages) > 1 else ""
            reasons.append(f"{type(error).__name__}: {where}{error.reason}")
    raise Unreadable("; ".join(reasons))


def reader_of(spec: PlatformSpec) -> SavedPages:
    """The saved-page reader of the platform's family; ValueError when the family has none or cannot load."""
    try:
        reader = family_record(spec.family).saved_pages()
    except FamilyError as error:
        raise ValueError(f"{spec.slug}: {error}") from error
    if not isinstance(reader, SavedPages):
        raise ValueError(f"{spec.slug}: family {spec.family!r} names a saved-page reader that is not a SavedPages")
    return reader


def candidates(spec: PlatformSpec, definition: Definition | None, snapshot: Snapshot, kind: str | None,
               url_given: bool) -> tuple[str, ...]:
    """The page objects to try, in order: only the URL's page when the URL says which."""
    reader = reader_of(spec)
    known = reader.kinds
    if kind is not None and kind not in known:
        raise ValueError(f"{spec.slug} ({spec.family}) has no {kind!r} pages; kinds: {', '.join(known)}")
    json_answer = _is_json(snapshot.body)
    if kind is not None:
        pages = known[kind]
    elif json_answer and "api" in known:
        pages = known["api"]
    elif reader.html_pages is not None:
        pages = reader.html_pages
    else:
        pages = tuple(dict.fromkeys(page for key in ("list", "detail") for page in known[key]))
    by_url = reader.page_of_url(spec, definition, snapshot.url) if url_given else None
    return (by_url,) if by_url in pages else pages  # a URL that says which page it is decides


def _is_json(body: bytes) -> bool:
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head not in (b"{", b"["):
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def query_value(url: str, key: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


def board_of(spec: PlatformSpec, board_id: str | None) -> dict[str, str]:
    board = next((b for b in spec.boards if b.id == board_id), spec.boards[0])
    return {"id": board.id, "addressee": board.addressee}


def base_url_of(spec: PlatformSpec, url: str) -> str:
    """The site the page came from: the platform's base URL, or the saved URL's origin when it is elsewhere
    (a mirror, a test host), so the message URLs built from it point where the page was."""
    if url.startswith(spec.base_url):
        return spec.base_url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else spec.base_url


def _read(spec: PlatformSpec, reader: SavedPages, definition: Definition | None, page: str,
          snapshot: Snapshot) -> Reading:
    first = reader.read_first(page, snapshot) if reader.read_first is not None else None
    if first is not None:
        return first
    data = parse_recorded(spec.family, page, snapshot, reader.context(spec, definition, page, snapshot), definition)
    if data.get("error") == "NotPublic":
        raise NotPublic(data["reason"])
    if "error" in data:
        raise LayoutChanged(data.get("reason") or f"the API answered {data['error']!r}")
    if page in MESSAGE_PAGES:
        return _message(definition, page, data)
    return _rows(page, data)


def _message(definition: Definition | None, page: str, data: dict[str, Any]) -> Reading:
    """One message; a definition field that failed is fatal unless only the list row gives it."""
    failed = {key: value["reason"] for key, value in data.items() if _failed(value)}
    row_only = {key for key in failed if definition is not None and _field(key) in definition.list.fields
                and _field(key) not in definition.detail.fields}
    fatal = {key: reason for key, reason in failed.items() if key not in row_only}
    if fatal:
        raise LayoutChanged("; ".join(dict.fromkeys(fatal.values())))
    notes = [f"{key}: not on this page (its list row gives it)" for key in sorted(row_only)]
    return Reading(page, True, [{k: (None if k in row_only else v) for k, v in data.items()}], notes)


def _field(key: str) -> str:
    """The definition field behind a stored key (status_raw -> status)."""
    return next((name for name, keys in ERROR_KEYS.items() if key in keys), key)


def _failed(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("error") == "LayoutChanged"


def _rows(page: str, data: dict[str, Any]) -> Reading:
    """List rows: the page object's rows/items, or a definition list's columns joined back into rows."""
    for key in ("rows", "items", "posts"):
        if isinstance(data.get(key), list):
            rest = {k: v for k, v in data.items() if k != key}
            return Reading(page, False, list(data[key]), [f"{k}: {json.dumps(v, ensure_ascii=False)}"
                                                          for k, v in rest.items()])
    failed = [value["reason"] for value in data.values() if _failed(value)]
    failed += [cell["reason"] for value in data.values() if isinstance(value, list) for cell in value if _failed(cell)]
    if failed:
        raise LayoutChanged("; ".join(dict.fromkeys(failed)))
    columns = {k: v for k, v in data.items() if isinstance(v, list)}
    count = max((len(v) for v in columns.values()), default=0)
    rows = [{name: values[i] if i < len(values) else None for name, values in columns.items()} for i in range(count)]
    notes = [f"{data.get('rows')} rows, {data.get('not_public')} not public (left out), more pages: {data.get('more')}"]
    return Reading(page, False, rows, notes)
