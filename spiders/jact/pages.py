"""Page objects of the Hanweb "jact" mailbox: list and detail pages -> rows and messages. Pure, no fetching."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from harvester.extract.errors import LayoutChanged
from harvester.extract.labels import cell_text, label_cells, required
from harvester.extract.snapshot import Snapshot
from harvester.extract.text import fragment_text
from harvester.registry import Board
from harvester.schema import Message, Reply
from harvester.timeutil import parse_local
from harvester.vocab import UnknownLabel, kind_of, status_of, topic_of

LIST_PATH = "/jact/front/mailpublist.do"
DETAIL_PATH = "/jact/front/mailpubdetail.do"
SATISFACTION = {"满意": 5, "基本满意": 3, "不满意": 1}


@dataclass(frozen=True, slots=True)
class ListRow:
    """One letter as the list shows it. `transact_id` is None for letters that are not public."""

    letter_no: str
    title: str
    status_raw: str
    submitted_on: str
    unit: str
    transact_id: str | None


@dataclass(frozen=True, slots=True)
class ListPage:
    rows: tuple[ListRow, ...]
    next_url: str | None


def list_url(base_url: str, board_id: str, page: int) -> str:
    return f"{base_url}{LIST_PATH}?sysid={board_id}&pageIndex={page}"


def detail_url(base_url: str, board_id: str, transact_id: str) -> str:
    return f"{base_url}{DETAIL_PATH}?transactId={transact_id}&sysid={board_id}"


def query_value(url: str, key: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


def _row(cells: list[Selector]) -> ListRow:
    if len(cells) != 6:
        raise LayoutChanged(f"list: a letter row has {len(cells)} cells, expected 6")
    link = cells[1].css("a")
    href = link.attrib.get("href") if link else None
    title = (link.attrib.get("title") if link else None) or cell_text(cells[1]).replace("[不公开]", "").strip()
    return ListRow(letter_no=cell_text(cells[0]), title=title, status_raw=cell_text(cells[2]),
                   submitted_on=cell_text(cells[3]), unit=cell_text(cells[4]),
                   transact_id=query_value(href, "transactId") if href else None)


def parse_list(snapshot: Snapshot) -> ListPage:
    """Rows and the next page's URL; LayoutChanged when the list table or pager is not there."""
    page = Selector(text=snapshot.text)
    if not page.css("table.list_table") or not page.css("div.jact_page"):
        raise LayoutChanged("list: table.list_table or div.jact_page not found")
    rows = tuple(_row(tr.xpath("./td")) for tr in page.css("table.list_table tr.tr_css"))
    next_href = page.css("div.jact_page a.next::attr(href)").get()
    return ListPage(rows=rows, next_url=urljoin(snapshot.url, next_href) if next_href else None)


def _paragraphs(cell: Selector) -> str:
    return fragment_text(cell.get())


def _replies(cells: dict[str, Selector]) -> tuple[Reply, ...]:
    if "回复内容" not in cells:
        return ()
    when = cell_text(cells["回复时间"]) if "回复时间" in cells else ""
    return (Reply(text=_paragraphs(cells["回复内容"]),
                  organisation=cell_text(cells["办理单位"]) if "办理单位" in cells else None,
                  replied_at=parse_local(when) if when else None, official=True),)


def parse_detail(snapshot: Snapshot, platform: str, base_url: str, board: Board, transact_id: str,
                 listed_unit: str | None = None) -> Message:
    """The letter on a detail page. LayoutChanged names the missing label or unreadable value.

    The handling unit (办理单位) is on the detail page once the letter is answered; before that only the list
    shows it, so the list row's `listed_unit` is used (None when the page is read for a re-check).
    """
    page = Selector(text=snapshot.text)
    rows = page.css("div.jact_main div.jact_box div.jact_box_font table tr.trbg02")
    cells = label_cells(rows, "td.list_pd1", "td.list_pd2")
    try:
        posted_at = parse_local(cell_text(required(cells, "来信时间")))
        status_raw = cell_text(required(cells, "处理状态"))
        kind_raw = cell_text(cells["信件类型"]) if "信件类型" in cells else None
        topic_raw = cell_text(cells["问题类别"]) if "问题类别" in cells else None
        status, kind, topic = status_of(status_raw), kind_of(kind_raw), topic_of(topic_raw)
        replies = _replies(cells)
    except (UnknownLabel, ValueError) as error:
        raise LayoutChanged(f"detail: {error}") from error
    grade = cell_text(cells["满意度"]) if "满意度" in cells else ""
    views = page.css("span#viewcount::text").get()
    return Message(
        platform=platform, external_id=transact_id, url=detail_url(base_url, board.id, transact_id),
        board_id=board.id, addressee=board.addressee, title=cell_text(required(cells, "信件标题")),
        body=_paragraphs(required(cells, "信件内容")), status=status, status_raw=status_raw,
        posted_at=posted_at, fetched_at=snapshot.fetched_at, kind=kind, kind_raw=kind_raw, topic=topic,
        topic_raw=topic_raw, author=cell_text(cells["来信人"]) if "来信人" in cells else None,
        letter_no=cell_text(cells["信件编号"]) if "信件编号" in cells else None,
        updated_at=replies[-1].replied_at if replies else None,
        satisfaction={"overall": SATISFACTION[grade]} if grade in SATISFACTION else {},
        views=int(views) if views and views.strip().isdigit() else None,
        attachments=tuple(urljoin(snapshot.url, h) for h in cells["附件"].css("a::attr(href)").getall())
        if "附件" in cells else (),
        handling_unit=(cell_text(cells["办理单位"]) if "办理单位" in cells else "") or listed_unit or None,
        replies=replies, source=snapshot,
    )
