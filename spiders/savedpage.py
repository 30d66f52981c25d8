"""A page an operator saved from a real site, read with its platform's page objects (`harvester parse`): which
page object reads it, what the spider would know when parsing it, and the messages or list rows it gives. Pure."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harvester.definition import Definition, definition_of
from harvester.extract.errors import LayoutChanged, NotPublic, ParseOutcome
from harvester.extract.snapshot import Snapshot, declared_encoding
from harvester.registry import PlatformSpec
from spiders.generic.message import ERROR_KEYS
from spiders.pageindex import parse_recorded

KINDS = ("list", "detail", "thread", "api")
# Which page objects (spiders.pageindex names) each kind asks for, per family; "thread" and "detail" both mean
# one message's page. A kind missing here is not a page that family has.
KIND_PAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "jact": {"list": ("list",), "detail": ("detail",), "thread": ("detail",)},
    "discuz": {"list": ("list",), "detail": ("thread",), "thread": ("thread",)},
    "people": {"list": ("list",), "detail": ("content",), "thread": ("content",), "api": ("list", "content")},
    "generic": {"list": ("list",), "detail": ("detail",), "thread": ("detail",), "api": ("list",)},
}
MESSAGE_PAGES = ("detail", "thread", "content")
_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")  # a {name} of a definition's URL template, once re.escape'd
_DISCUZ_TID = re.compile(r"(?:thread-(\d+)-\d+-\d+\.html|[?&;]p?tid=(\d+))")


class Unreadable(ParseOutcome):
    """No page object of the platform reads the saved page as the kind asked (or any kind, when detecting); the
    reason names each outcome (LayoutChanged: what a harvest would quarantine; NotPublic: a refusal page)."""


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
    definition = definition_of(spec) if spec.family == "generic" else None
    pages = candidates(spec, definition, snapshot, kind, url_given)
    if spec.family == "people":  # the spider classifies every answer before reading it
        verdict = parse_recorded("people", "answer", snapshot, {})["answer"]
        if verdict != "ok":
            raise Unreadable(f"the API answered {verdict!r} (not data: a block page, a refused signature, "
                             "a deleted message or an error code)")
    reasons = []
    for page in pages:
        try:
            return _read(spec, definition, page, snapshot)
        except (LayoutChanged, NotPublic) as error:
            where = f"{page}: " if len(pages) > 1 else ""
            reasons.append(f"{type(error).__name__}: {where}{error.reason}")
    raise Unreadable("; ".join(reasons))


def candidates(spec: PlatformSpec, definition: Definition | None, snapshot: Snapshot, kind: str | None,
               url_given: bool) -> tuple[str, ...]:
    """The page objects to try, in order: only the URL's page when the URL says which."""
    known = KIND_PAGES.get(spec.family)
    if known is None:
        raise ValueError(f"family {spec.family!r} has no saved-page reader (known: {', '.join(KIND_PAGES)})")
    if kind is not None and kind not in known:
        raise ValueError(f"{spec.slug} ({spec.family}) has no {kind!r} pages; kinds: {', '.join(known)}")
    json_answer = _is_json(snapshot.body)
    if kind is not None:
        pages = known[kind]
    elif spec.family == "people":
        pages = known["api"] if json_answer else ("content",)  # an HTML answer: a block page, classified
    elif json_answer and "api" in known:
        pages = known["api"]
    else:
        pages = tuple(dict.fromkeys(page for key in ("list", "detail") for page in known[key]))
    by_url = _page_by_url(spec, definition, snapshot.url) if url_given else None
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


def _page_by_url(spec: PlatformSpec, definition: Definition | None, url: str) -> str | None:
    """Which page a URL of this platform is, from the family's URL shapes or the definition's templates."""
    if spec.family == "jact":
        return "list" if re.search(r"mailpublist|dataproxy", url) else "detail" if "mailpubdetail" in url else None
    if spec.family == "discuz":
        return ("list" if re.search(r"forumdisplay|forum-\d+-\d+\.html", url) else
                "thread" if _DISCUZ_TID.search(url) else None)
    if spec.family == "people":
        return ("list" if re.search(r"/threads/list|queryThreadsList", url) else
                "content" if "/threads/content" in url else None)
    if definition is not None:
        if _template_match(definition.list.url, url):
            return "list"
        if _detail_id(definition, url) is not None:
            return "detail"
    return None


def _template_match(template: str | None, url: str) -> re.Match[str] | None:
    """A URL matched against a definition's template ({page}, {board}, {id} … standing for any value)."""
    if not template:
        return None
    path = template.split("://", 1)[-1].split("/", 1)[-1] if "://" in template else template
    pattern = _PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>[^/?&#]*)", re.escape(path))
    return re.search(pattern + r"(?:$|[?&#])", url)


def _detail_id(definition: Definition, url: str) -> str | None:
    """A letter's id read from its detail URL: the template's {id}, else what the list's id rule would read
    from the link (its regex, e.g. gdId=([0-9a-f]{32}))."""
    found = _template_match(definition.detail.url, url)
    if found and "id" in found.groupdict():
        return found.group("id")
    rule = definition.list.fields.get("id")
    if rule is not None and rule.regex is not None and (match := rule.regex.search(url)):
        return match.group(1) if match.groups() else match.group(0)
    return None


def _query(url: str, key: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


def _board(spec: PlatformSpec, board_id: str | None) -> dict[str, str]:
    board = next((b for b in spec.boards if b.id == board_id), spec.boards[0])
    return {"id": board.id, "addressee": board.addressee}


def context(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> dict[str, Any]:
    """What the family's spider knows when it parses this page (the recorded fixtures' context)."""
    url = snapshot.url
    base = {"platform": spec.slug, "base_url": _base_url(spec, url)}
    if spec.family == "jact":
        return {**base, "board": _board(spec, _query(url, "sysid")), "external_id": _query(url, "transactId") or ""}
    if spec.family == "discuz":
        return {**base, "board": _board(spec, _query(url, "fid")), "external_id": _discuz_tid(snapshot),
                "options": dict(spec.options)}
    if spec.family == "people":
        return {**base, "addressees": {b.id: b.addressee for b in spec.boards}, "options": dict(spec.options)}
    assert definition is not None
    found = _template_match(definition.list.url if page == "list" else definition.detail.url, url)
    board = found.groupdict().get("board") if found else None
    if page == "list":
        return {**base, "board": _board(spec, board), "page": 1}
    return {**base, "board": _board(spec, board), "external_id": _detail_id(definition, url) or "", "url": url,
            "row": {}}


def _base_url(spec: PlatformSpec, url: str) -> str:
    """The site the page came from: the platform's base URL, or the saved URL's origin when it is elsewhere
    (a mirror, a test host), so the message URLs built from it point where the page was."""
    if url.startswith(spec.base_url):
        return spec.base_url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else spec.base_url


def _discuz_tid(snapshot: Snapshot) -> str:
    """The thread's tid: from its URL, else the one the page's own links name most (只看该作者, 举报 …)."""
    found = _DISCUZ_TID.search(snapshot.url)
    if found:
        return found.group(1) or found.group(2)
    named = Counter(a or b for a, b in _DISCUZ_TID.findall(snapshot.text))
    return named.most_common(1)[0][0] if named else ""


def _read(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> Reading:
    if spec.family == "discuz" and page == "thread":
        try:
            floors = parse_recorded("discuz", "thread_page", snapshot, {})
        except (LayoutChanged, NotPublic):
            floors = {}  # the message's parse says why
        if int(floors.get("page") or 1) > 1:  # page 2 on: floors only, the opening post is on page 1
            return Reading("thread_page", False, list(floors.get("posts", [])),
                           [f"thread page {floors['page']}: its floors (read page 1 for the message)"])
    data = parse_recorded(spec.family, page, snapshot, context(spec, definition, page, snapshot), definition)
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
