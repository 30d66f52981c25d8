"""List requests and the end of the list for every paging kind, including ones no replica uses (TRS index_N)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from harvester.definition import Definition, parse_options
from harvester.extract.snapshot import Snapshot
from spiders.generic.listing import parse_list
from spiders.generic.paging import detail_url, list_request

DETAIL = """
[detail.fields]
title = "css:h1"
body = "css:div.content"
status = "css:span.status"
posted_at = "css:span.time"
"""


def definition(list_toml: str, detail_toml: str = DETAIL) -> Definition:
    options = tomllib.loads(list_toml + detail_toml)
    return parse_options("ceshi_szxx", options, "ceshi_szxx.toml", text="")


def page_of(html: str, url: str = "http://x.test/col/zmhd/index.html") -> Snapshot:
    return Snapshot(url=url, status=200, body=html.encode(), fetched_at=datetime(2026, 11, 20, tzinfo=UTC),
                    headers={"content-type": "text/html; charset=utf-8"})


TRS = definition("""
[list]
url = "/col/zmhd/index_{page}.html"
rows = "css:ul.list li"
[list.paging]
kind = "index"
first_url = "/col/zmhd/index.html"
pages = "regex:createPageHTML\\\\((\\\\d+),"
[list.fields]
id = { xpath = "./a/@href", regex = "t(\\\\d+)\\\\.html" }
link = "xpath:./a/@href"
""")


def trs_page(current: int) -> Snapshot:
    return page_of(f'<ul class="list"><li><a href="./202211/t2061{current}.html">信</a></li></ul>'
                   f'<script>createPageHTML(3, {current - 1}, "index", "html");</script>')


def test_index_pages_start_at_index_html_and_end_at_the_page_count_in_the_script() -> None:
    urls = [list_request(TRS, "http://x.test", "1", n).url for n in (1, 2, 3)]
    assert urls == ["http://x.test/col/zmhd/index.html", "http://x.test/col/zmhd/index_1.html",
                    "http://x.test/col/zmhd/index_2.html"]
    assert [parse_list(trs_page(n), TRS, n).more for n in (1, 2, 3)] == [True, True, False]
    row = parse_list(trs_page(1), TRS, 1).rows[0]
    assert row.id == "20611" and row.values["link"] == "http://x.test/col/zmhd/202211/t20611.html"


def test_page_number_in_the_query_from_a_zero_based_site() -> None:
    spec = definition('[list]\nurl = "/list.jsp?curpage={page}&rows=15&dept={board}"\nrows = "css:tr"\n'
                      '[list.paging]\nkind = "page"\nfirst = 0\n[list.fields]\nid = "css:td"\nlink = "css:a"\n')
    assert list_request(spec, "http://x.test", "d7", 1).url == "http://x.test/list.jsp?curpage=0&rows=15&dept=d7"
    assert list_request(spec, "http://x.test", "d7", 3).url == "http://x.test/list.jsp?curpage=2&rows=15&dept=d7"


def test_post_form_paging_like_chengdu_and_offsets_in_a_form_like_beijing() -> None:
    chengdu = definition('[list]\nurl = "/openWorkList"\nmethod = "POST"\nrows = "css:li"\n[list.form]\n'
                         'pageID = "{page}"\n[list.paging]\nkind = "page"\n[list.fields]\nid = "css:a"\n'
                         'link = "css:a"\n')
    wanted = list_request(chengdu, "http://x.test", "1", 4)
    assert (wanted.method, wanted.url, dict(wanted.form or {})) == ("POST", "http://x.test/openWorkList",
                                                                    {"pageID": "4"})
    beijing = definition('[list]\nurl = "/moreNewComplain.biz.ext"\nmethod = "POST"\nformat = "json"\n'
                         'rows = "json:newComplainnList"\n[list.form]\n"PageCond/begin" = "{offset}"\n'
                         '"PageCond/length" = "{size}"\n[list.paging]\nkind = "offset"\nsize = 6\n'
                         'total = "json:PageCond.count"\n[list.fields]\nid = "json:originalId"\n'
                         '[detail]\nurl = "/flow?originalId={id}"\n')
    assert dict(list_request(beijing, "http://x.test", "c", 3).form or {}) == {"PageCond/begin": "12",
                                                                               "PageCond/length": "6"}
    assert detail_url(beijing, "http://x.test", "c", "AH 1", None) == "http://x.test/flow?originalId=AH%201"


def test_records_ranges_and_a_get_form_becomes_the_query() -> None:
    spec = definition('[list]\nurl = "/dataproxy.jsp?startrecord={start}&endrecord={end}"\nrows = "css:li"\n'
                      '[list.form]\ncolumnid = "{board}"\n[list.paging]\nkind = "records"\nsize = 45\n'
                      '[list.fields]\nid = "css:a"\nlink = "css:a"\n')
    assert list_request(spec, "http://x.test", "1229", 2).url == \
        "http://x.test/dataproxy.jsp?startrecord=46&endrecord=90&columnid=1229"


def test_without_an_end_signal_the_list_ends_at_a_short_or_empty_page() -> None:
    spec = definition('[list]\nurl = "/l?p={page}"\nrows = "css:li"\nmay_be_empty = true\n[list.paging]\n'
                      'kind = "page"\nsize = 2\n[list.fields]\nid = "css:a"\nlink = "css:a"\n')
    two, one, none = ("<ul>" + "<li><a href='/d?id=1'>1</a></li>" * n + "</ul>" for n in (2, 1, 0))
    assert [parse_list(page_of(html), spec, 2).more for html in (two, one, none)] == [True, False, False]


def test_an_empty_first_page_is_a_layout_problem_unless_declared() -> None:
    spec = definition('[list]\nurl = "/l?p={page}"\nrows = "css:li"\n[list.paging]\nkind = "page"\n'
                      '[list.fields]\nid = "css:a"\nlink = "css:a"\n')
    listing = parse_list(page_of("<ul></ul>"), spec, 1)
    assert "matched no rows on the first page" in listing.errors["rows"] and not listing.more
