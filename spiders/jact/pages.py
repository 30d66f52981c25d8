"""Page objects of the Hanweb "jact" mailbox, in one place: list answers -> rows, letter pages -> messages, and
the URLs and request bodies the spider asks for them with. Pure, no fetching."""

from __future__ import annotations

from spiders.jact.detail import DETAIL_PATH, detail_url, parse_detail
from spiders.jact.listing import ListPage, ListRow, parse_list, proxy_has_more, query_value
from spiders.jact.options import PAGEINDEX_PATH, JactOptions

LIST_PATH = PAGEINDEX_PATH

__all__ = ["DETAIL_PATH", "LIST_PATH", "ListPage", "ListRow", "detail_url", "list_form", "list_url", "parse_detail",
           "parse_list", "proxy_has_more", "query_value", "record_range"]


def record_range(options: JactOptions, page: int) -> tuple[int, int]:
    """The 1-based, inclusive record range of data proxy request number `page` (1-based)."""
    size = options.records_per_request
    return (page - 1) * size + 1, page * size


def list_url(base_url: str, board_id: str, page: int, options: JactOptions | None = None) -> str:
    """Where list page `page` is asked for: the data proxy with its record range in the query (the form goes in
    the POST body, `list_form`), or mailpublist.do?pageIndex=N."""
    options = options or JactOptions(list="pageindex", list_path=PAGEINDEX_PATH)
    if options.list == "pageindex":
        return f"{base_url}{options.list_path}?sysid={board_id}&pageIndex={page}"
    start, end = record_range(options, page)
    return (f"{base_url}{options.list_path}?startrecord={start}&endrecord={end}&perpage={options.perpage}"
            f"&groupSize={options.group_size}")


def list_form(options: JactOptions, board_id: str) -> dict[str, str]:
    """The POSTed form of a data proxy request: the column (`sysid`), the sort field, and the site's extras."""
    return {"sysid": board_id, "orderfield": "1", **options.form}
