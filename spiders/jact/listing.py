"""The jact letter list, both ways sites serve it: the POSTed data proxy answer (`dataStore = [...]` of row
strings, what real sites serve) and the older mailpublist.do?pageIndex=N page with its pager. Pure, no fetching."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from parsel import Selector

from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from spiders.jact.cells import cell_text, first_link, html_page, row_cells

_STORE = re.compile(r"dataStore\s*=\s*(\[.*\])\s*;?", re.DOTALL)
# How the answer states its record count is not in the evidence; these two spellings are read when present.
_TRANSACT_ID = re.compile(r"transactId=(\d+)")
_TOTAL = re.compile(r"totalRecord\s*=\s*(\d+)|<totalrecord>\s*(\d+)\s*</totalrecord>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One letter as the list shows it. `transact_id` is None for letters that are not public; `unit` is ""
    where the list has no 办理单位 column (the 5-cell rows)."""

    letter_no: str
    title: str
    status_raw: str
    submitted_on: str
    unit: str
    transact_id: str | None


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that could not be read while others on its page could: its markup (or JSON), why, and its
    transactId when the markup shows one (to hold the board's cursor below it)."""

    raw: str
    reason: str
    transact_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListPage:
    """Rows of one list answer; `next_url` is the pager's next page (pageIndex lists only); `total` is the
    record count a data proxy answer states (None when it states none); `rejected` the rows that failed."""

    rows: tuple[ListRow, ...]
    next_url: str | None
    total: int | None = None
    rejected: tuple[RejectedRow, ...] = ()

    @property
    def size(self) -> int:
        """Rows the answer held, read or not (a full answer means more may follow)."""
        return len(self.rows) + len(self.rejected)


def query_value(url: str, key: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


def _row(row: etree._Element) -> ListRow:
    """6 cells (办件编号, 标题, 处理情况, 提交时间, 办理单位, 点击次数) or 5 (the same without 办理单位)."""
    cells = row_cells(row)
    if len(cells) not in (5, 6):
        raise LayoutChanged(f"list: a letter row has {len(cells)} cells, expected 5 or 6")
    link = first_link(cells[1])
    href = link.get("href") if link is not None else None
    title = (link.get("title") if link is not None else None) or cell_text(cells[1]).replace("[不公开]", "").strip()
    return ListRow(letter_no=cell_text(cells[0]), title=title, status_raw=cell_text(cells[2]),
                   submitted_on=cell_text(cells[3]), unit=cell_text(cells[4]) if len(cells) == 6 else "",
                   transact_id=query_value(href, "transactId") if href else None)


def _store_text(text: str) -> str | None:
    """The answer's text holding `dataStore`, also when a browser rendered it as a page (inside <pre>)."""
    if "dataStore" not in text:
        return None
    if "<pre" in text and "&lt;tr" in text:  # the rows' markup shown as text: take the text back
        return Selector(text=text).xpath("string(//pre)").get()
    return text


def _proxy_row(entry: object) -> ListRow:
    if not isinstance(entry, str):
        raise LayoutChanged(f"list: dataStore is not an array of row strings (an entry is {json.dumps(entry)[:80]})")
    found = list(html_page(f"<table>{entry}</table>").root.iter("tr"))
    if len(found) != 1:
        raise LayoutChanged(f"list: a dataStore entry holds {len(found)} <tr> rows, expected 1")
    return _row(found[0])


def _independent(entries: list[Any], read: Callable[[Any], ListRow], raw: Callable[[Any], str]
                 ) -> tuple[tuple[ListRow, ...], tuple[RejectedRow, ...]]:
    """Each entry read on its own: a failing one is set apart, unless every one fails (the layout changed)."""
    rows, rejected = [], []
    for entry in entries:
        try:
            rows.append(read(entry))
        except LayoutChanged as error:
            text = raw(entry)
            found = _TRANSACT_ID.search(text)
            rejected.append(RejectedRow(text, error.reason, found.group(1) if found else None))
    if rejected and not rows:
        raise LayoutChanged(rejected[0].reason)
    return tuple(rows), tuple(rejected)


def _proxy_rows(strings: object) -> tuple[tuple[ListRow, ...], tuple[RejectedRow, ...]]:
    if not isinstance(strings, list):
        raise LayoutChanged("list: dataStore is not an array of row strings")
    return _independent(strings, _proxy_row, lambda e: e if isinstance(e, str) else json.dumps(e, ensure_ascii=False))


def parse_proxy(text: str) -> ListPage:
    """A data proxy answer: rows from `dataStore = [...]`, the record count when stated."""
    match = _STORE.search(text)
    if match is None:
        raise LayoutChanged("list: dataStore = [...] not found in the data proxy answer")
    try:
        strings = json.loads(match.group(1), strict=False)
    except json.JSONDecodeError as error:
        raise LayoutChanged(f"list: dataStore is not a readable array ({error.msg})") from error
    total = _TOTAL.search(text[:match.start()]) or _TOTAL.search(text)
    rows, rejected = _proxy_rows(strings)
    return ListPage(rows=rows, next_url=None, total=int(total.group(1) or total.group(2)) if total else None,
                    rejected=rejected)


def parse_pageindex(snapshot: Snapshot) -> ListPage:
    """A mailpublist.do?pageIndex=N page: `table.list_table tr.tr_css` rows and the `div.jact_page` pager."""
    page = Selector(text=snapshot.text)
    if not page.css("table.list_table") or not page.css("div.jact_page"):
        raise LayoutChanged("list: neither a data proxy answer (dataStore = [...]) nor a table.list_table page "
                            "with a div.jact_page pager")
    rows, rejected = _independent(page.css("table.list_table tr.tr_css"), lambda tr: _row(tr.root),
                                  lambda tr: tr.get())
    next_href = page.css("div.jact_page a.next::attr(href)").get()
    return ListPage(rows=rows, next_url=urljoin(snapshot.url, next_href) if next_href else None, rejected=rejected)


def parse_list(snapshot: Snapshot) -> ListPage:
    """Either list answer, told apart by what it holds; LayoutChanged when it is neither."""
    store = _store_text(snapshot.text)
    return parse_proxy(store) if store is not None else parse_pageindex(snapshot)


def proxy_has_more(listing: ListPage, asked: int, end_record: int) -> bool:
    """Whether records follow this answer's range: it came back full and the stated total (if any) is beyond
    `end_record`. A short answer ends the list, so a wrong or missing total cannot make us page forever."""
    if listing.size < asked:
        return False
    return listing.total is None or end_record < listing.total
