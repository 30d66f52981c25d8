"""The declarative platform model the generic spider runs: list paging, rows, detail fields, vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harvester.definition.rules import Rule
from harvester.vocab import Kind, Status, Topic

PAGINGS = ("page", "offset", "records", "index")
FORMATS = ("html", "json", "hanweb_xml")
METHODS = ("GET", "POST")
RECHECK_VIA = ("detail", "list")

# Canonical message fields a definition may fill, and which of them a message cannot do without.
MESSAGE_FIELDS = ("title", "body", "status", "kind", "topic", "author", "letter_no", "posted_at", "region",
                  "satisfaction", "views", "likes", "overdue", "handling_unit", "attachments")
REQUIRED_FIELDS = ("title", "body", "status", "posted_at")
ROW_FIELDS = ("id", "link", *MESSAGE_FIELDS)
REPLY_FIELDS = ("text", "organisation", "replied_at", "title")
# List fields a cursor may be built from: the id, and fields the store keeps as the site wrote them (a re-check
# rebuilds a stored letter's cursor key from them).
CURSOR_FIELDS = ("id", "title", "status", "kind", "topic", "author", "letter_no", "region")
CURSOR_SEPARATOR = "|"
BLOCK_FIELDS = ("body", "reply.text")  # read as paragraphs (one line per <p>/<br>), not one line
DATE_FIELDS = ("posted_at", "reply.replied_at")
DEFAULT_SATISFACTION = {"满意": 5, "基本满意": 3, "不满意": 1}
# How portals word their own overdue verdict (是否超时: 是 / 否); a definition may add more.
DEFAULT_OVERDUE = {"是": True, "否": False, "超时": True, "已超时": True, "未超时": False, "逾期": True,
                   "未逾期": False, "正常": False}


@dataclass(frozen=True, slots=True)
class Paging:
    """How list pages follow each other and when they end.

    `kind`: "page" fills {page} with first, first+1, …; "offset" fills {offset} with 0, size, 2*size …;
    "records" fills {start}/{end} with 1-based inclusive record ranges (Hanweb jpage); "index" serves page 1
    at `first_url` and page n at `url` with {page} = n-1 (TRS index.html, index_1.html …).
    The list ends when `next` stops matching, when `total` records or `pages` pages are reached, or (with
    none of them) at a page without rows.
    `lookback_days` (0: off): an incremental harvest reads on below the cursor while a page shows letters
    posted within that many days of the newest letter listed, for lists where a letter appears late at its
    old place (大连 lists letters once answered, at their posting place).
    """

    kind: str
    size: int | None = None
    first: int = 1
    first_url: str | None = None
    max_pages: int = 5000
    next: Rule | None = None
    total: Rule | None = None
    pages: Rule | None = None
    lookback_days: int = 0


@dataclass(frozen=True, slots=True)
class ListSpec:
    """The list: request (`url` relative to base_url, GET or POST `form`), response format, rows and fields.

    `form` holds static values ({page} … filled per page); `carried` holds form values read by a rule from
    the previous list page (ASP.NET `__VIEWSTATE`, `__EVENTVALIDATION` …). With any `carried` value the list
    pages by postback: page 1 is a GET of `url`, page n+1 a POST of the static values and those read from
    page n — so list pages are fetched one after another.
    `cursor` names the row field(s) whose highest stored value is the board's cursor: "id" alone, or fields
    ending with "id" (`("letter_no", "id")`: letter numbers order the list but two letters may share one, so
    the id breaks ties). Keys join the values with "|" and compare part by part (numbers as numbers, other
    values as text). `recheck` says how open letters are re-checked: by fetching their detail
    pages, or (for sites that show the status only on the list) by paging the list down to the oldest one.
    """

    url: str
    paging: Paging
    rows: Rule
    fields: Mapping[str, Rule]
    method: str = "GET"
    form: Mapping[str, str] = field(default_factory=dict)
    carried: Mapping[str, Rule] = field(default_factory=dict)
    format: str = "html"
    not_public: Rule | None = None
    cursor: tuple[str, ...] = ("id",)
    recheck: str = "detail"
    may_be_empty: bool = False

    @property
    def postback(self) -> bool:
        """Whether page n+1 posts back values read from page n (then pages are strictly sequential)."""
        return bool(self.carried)


@dataclass(frozen=True, slots=True)
class Labels:
    """A label/value table: `cells` select the labels; each value is `value` read from the label's element,
    or (with `separator`) the rest of the label's own text (`来信时间：2026-11-18 10:02`)."""

    cells: Rule
    value: Rule | None = None
    separator: str | None = None


@dataclass(frozen=True, slots=True)
class ReplySpec:
    """The official answer: one per page, or one per `each` block (fields then read inside the block)."""

    text: Rule
    organisation: Rule | None = None
    replied_at: Rule | None = None
    title: Rule | None = None
    each: Rule | None = None


@dataclass(frozen=True, slots=True)
class DetailSpec:
    """The detail page: its URL (`url` template with {id}/{board}, else the row's link), how it says "not
    public" (a marker, or HTTP statuses), its label table, fields and reply."""

    fields: Mapping[str, Rule]
    url: str | None = None
    not_public: Rule | None = None
    not_public_statuses: tuple[int, ...] = (404, 410)
    labels: Labels | None = None
    reply: ReplySpec | None = None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The platform's own labels mapped onto the canonical vocabulary (on top of harvester.vocab's)."""

    kind: Mapping[str, Kind] = field(default_factory=dict)
    status: Mapping[str, Status] = field(default_factory=dict)
    topic: Mapping[str, Topic] = field(default_factory=dict)
    satisfaction: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SATISFACTION))
    overdue: Mapping[str, bool] = field(default_factory=lambda: dict(DEFAULT_OVERDUE))


@dataclass(frozen=True, slots=True)
class Definition:
    """Everything the generic spider needs to know about one platform, validated."""

    slug: str
    source: str
    list: ListSpec
    detail: DetailSpec
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    date_formats: tuple[str, ...] = ()

    def rule(self, name: str) -> Rule | None:
        """The rule filling a message field: the detail page's, else the list row's."""
        return self.detail.fields.get(name) or self.list.fields.get(name)
