"""The jact letter page -> Message, in every layout seen: two-column `tr.trbg02` label rows, four-column rows
(label, value, label, value) with values in <span>, and the reply in the letter's table or in a table of its own.
Pure, no fetching."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from harvester.extract.errors import LayoutChanged
from harvester.extract.labels import clean_label
from harvester.extract.snapshot import Snapshot
from harvester.extract.text import fragment_text
from harvester.registry import Board
from harvester.schema import Message, Reply
from harvester.timeutil import parse_local
from harvester.vocab import UnknownLabel, kind_of, status_of, topic_of
from spiders.jact.cells import cell_text, html_page, label_text, row_cells

DETAIL_PATH = "/jact/front/mailpubdetail.do"
SATISFACTION = {"满意": 5, "基本满意": 3, "不满意": 1}
# The labels read, each with the spellings that mean it. 答复… spellings are inferred (a 2019 crawler names
# its reply columns so), the rest are what the pages show.
LABELS = {
    "信件编号": ("信件编号",), "信件标题": ("信件标题",), "来信人": ("来信人",), "来信时间": ("来信时间",),
    "信件类型": ("信件类型",), "问题类别": ("问题类别",), "处理状态": ("处理状态",), "信件内容": ("信件内容",),
    "附件": ("附件",), "满意度": ("满意度",),
    "办理单位": ("办理单位", "答复单位"), "回复时间": ("回复时间", "答复时间"), "回复内容": ("回复内容", "答复内容"),
}
_CANONICAL = {spelling: label for label, spellings in LABELS.items() for spelling in spellings}
# parsel's translations of `span#viewcount::text` and `a::attr(href)`, compiled once
_VIEWS = etree.XPath("descendant-or-self::span[@id = 'viewcount']/text()", smart_strings=False)
_LINKS = etree.XPath("descendant-or-self::a/@href", smart_strings=False)


def detail_url(base_url: str, board_id: str, transact_id: str) -> str:
    return f"{base_url}{DETAIL_PATH}?transactId={transact_id}&sysid={board_id}"


def label_cells(page: Selector) -> dict[str, etree._Element]:
    """Every known label of every table on the page -> its value cell (the cell after it: a row holds one
    label/value pair or two). The first occurrence wins; unknown labels and layout cells are ignored.

    One walk over the page's rows with lxml, reading what `//tr`, `./td` and a label cell's
    `./text() | ./*[not(self::table)]//text()` select (spiders/jact/cells.py)."""
    cells: dict[str, etree._Element] = {}
    for row in page.root.iter("tr"):
        tds = row_cells(row)
        for label, value in zip(tds[0::2], tds[1::2], strict=False):
            name = _CANONICAL.get(clean_label(label_text(label)))
            if name is not None:
                cells.setdefault(name, value)
    return cells


def _required(cells: dict[str, etree._Element], label: str) -> etree._Element:
    """The value cell for `label`, or LayoutChanged naming the missing field."""
    if label not in cells:
        raise LayoutChanged(f"detail: label {label!r} not found (labels seen: {', '.join(cells) or 'none'})")
    return cells[label]


def _optional(cells: dict[str, etree._Element], label: str) -> str | None:
    return cell_text(cells[label]) if label in cells else None


def _markup(page: Selector, cell: etree._Element) -> str:
    """The cell serialised as parsel serialises it (what fragment_text reads)."""
    return str(Selector(root=cell, type=page.type).get())


def _replies(page: Selector, cells: dict[str, etree._Element]) -> tuple[Reply, ...]:
    if "回复内容" not in cells:
        return ()
    when = _optional(cells, "回复时间")
    return (Reply(text=fragment_text(_markup(page, cells["回复内容"])), organisation=_optional(cells, "办理单位"),
                  replied_at=parse_local(when) if when else None, official=True),)


def parse_detail(snapshot: Snapshot, platform: str, base_url: str, board: Board, transact_id: str,
                 listed_unit: str | None = None) -> Message:
    """The letter on a detail page. LayoutChanged names the missing label or unreadable value.

    The handling unit (办理单位) is on the detail page once the letter is answered; before that only a list
    with a 办理单位 column shows it, so the list row's `listed_unit` is used (None on a re-check).
    """
    page = html_page(snapshot.text)
    cells = label_cells(page)
    try:
        posted_at = parse_local(cell_text(_required(cells, "来信时间")))
        status_raw = cell_text(_required(cells, "处理状态"))
        kind_raw, topic_raw = _optional(cells, "信件类型"), _optional(cells, "问题类别")
        status, kind, topic = status_of(status_raw), kind_of(kind_raw), topic_of(topic_raw)
        replies = _replies(page, cells)
    except (UnknownLabel, ValueError) as error:
        raise LayoutChanged(f"detail: {error}") from error
    grade = _optional(cells, "满意度") or ""
    views = next(iter(_VIEWS(page.root)), None)
    return Message(
        platform=platform, external_id=transact_id, url=detail_url(base_url, board.id, transact_id),
        board_id=board.id, addressee=board.addressee, title=cell_text(_required(cells, "信件标题")),
        body=fragment_text(_markup(page, _required(cells, "信件内容"))), status=status, status_raw=status_raw,
        posted_at=posted_at, fetched_at=snapshot.fetched_at, kind=kind, kind_raw=kind_raw, topic=topic,
        topic_raw=topic_raw, author=_optional(cells, "来信人"), letter_no=_optional(cells, "信件编号"),
        updated_at=replies[-1].replied_at if replies else None,
        satisfaction={"overall": SATISFACTION[grade]} if grade in SATISFACTION else {},
        views=int(views) if views and views.strip().isdigit() else None,
        attachments=tuple(urljoin(snapshot.url, h) for h in _LINKS(cells["附件"])) if "附件" in cells else (),
        handling_unit=_optional(cells, "办理单位") or listed_unit or None,
        replies=replies, source=snapshot,
    )
