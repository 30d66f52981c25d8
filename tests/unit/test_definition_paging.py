"""List requests and the end of the list for every paging kind, including ones no replica uses (TRS index_N)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from harvester.definition import Definition, parse_options
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from spiders.generic.listing import parse_list, require_complete
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


def test_record_ranges_posted_in_the_form_as_data_proxies_take_them() -> None:
    """jact's dataproxy_mailpublist.do and Hanweb's jpage take startrecord/endrecord as POSTed form fields; the
    list ends at the total record count the answer gives."""
    spec = definition('[list]\nurl = "/jact/front/dataproxy_mailpublist.do"\nmethod = "POST"\nrows = "css:tr"\n'
                      '[list.form]\nstartrecord = "{start}"\nendrecord = "{end}"\nperpage = "{size}"\n'
                      'sysid = "{board}"\n[list.paging]\nkind = "records"\nsize = 15\n'
                      'total = "regex:totalRecord\\\\s*=\\\\s*(\\\\d+)"\n'
                      '[list.fields]\nid = "css:a"\nlink = "css:a"\n')
    third = list_request(spec, "http://x.test", "6", 3)
    assert (third.method, third.url, dict(third.form or {})) == \
        ("POST", "http://x.test/jact/front/dataproxy_mailpublist.do",
         {"startrecord": "31", "endrecord": "45", "perpage": "15", "sysid": "6"})
    rows = "<table>" + "<tr><td><a href='/d?id=1'>1</a></td></tr>" * 15 + "</table>"
    answer = rows + "<script>var totalRecord = 45;</script>"
    assert [parse_list(page_of(answer), spec, n).more for n in (2, 3)] == [True, False]


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


# -- postback paging (ASP.NET WebForms): the next page posts back state read from this one -----------------

GRIDVIEW = definition("""
[list]
url = "/Letters.aspx"
method = "POST"
rows = "xpath://table[@id='GridView1']/tr[td][not(@class)]"
[list.form]
"__EVENTTARGET" = "GridView1"
"__EVENTARGUMENT" = "Page${page}"
"__VIEWSTATE" = { css = "input#__VIEWSTATE", attr = "value" }
"__VIEWSTATEGENERATOR" = { css = "input#__VIEWSTATEGENERATOR", attr = "value" }
"__EVENTVALIDATION" = { css = "input#__EVENTVALIDATION", attr = "value", optional = true }
[list.paging]
kind = "page"
next = "xpath://tr[@class='pager']//a[.='下一页']"
[list.fields]
id = { xpath = "./td[1]/a/@href", regex = "id=(\\\\d+)" }
link = "xpath:./td[1]/a/@href"
""")


def aspx_page(page: int, validation: bool = True, viewstate: bool = True) -> Snapshot:
    hidden = [("__VIEWSTATE", f"/wEPDwUKMTY{page}=") if viewstate else None, ("__VIEWSTATEGENERATOR", "CA0B0334"),
              ("__EVENTVALIDATION", f"/wEdAAf{page}+") if validation else None]
    inputs = "".join(f'<input type="hidden" name="{n}" id="{n}" value="{v}" />' for n, v in filter(None, hidden))
    pager = "<a href=\"javascript:__doPostBack('GridView1','Page$Next')\">下一页</a>" if page < 3 else ""
    return page_of(f'<form id="form1">{inputs}<table id="GridView1"><tr><th>标题</th></tr>'
                   f'<tr><td><a href="detail.aspx?id={page}0">信</a></td></tr>'
                   f'<tr class="pager"><td>{pager}</td></tr></table></form>', "http://x.test/Letters.aspx")


def test_a_postback_list_starts_with_a_get_and_posts_back_what_the_previous_page_holds() -> None:
    first = list_request(GRIDVIEW, "http://x.test", "1", 1)
    assert (first.method, first.url, first.form) == ("GET", "http://x.test/Letters.aspx", None)
    listing = parse_list(aspx_page(1), GRIDVIEW, 1)
    assert listing.more and [row.id for row in listing.rows] == ["10"]
    second = list_request(GRIDVIEW, "http://x.test", "1", 2, listing.carried)
    assert (second.method, second.url) == ("POST", "http://x.test/Letters.aspx")
    assert dict(second.form or {}) == {"__EVENTTARGET": "GridView1", "__EVENTARGUMENT": "Page$2",
                                       "__VIEWSTATE": "/wEPDwUKMTY1=", "__VIEWSTATEGENERATOR": "CA0B0334",
                                       "__EVENTVALIDATION": "/wEdAAf1+"}
    third = list_request(GRIDVIEW, "http://x.test", "1", 3, parse_list(aspx_page(2), GRIDVIEW, 2).carried)
    assert (third.form or {})["__VIEWSTATE"] == "/wEPDwUKMTY2=" and (third.form or {})["__EVENTARGUMENT"] == "Page$3"
    assert not parse_list(aspx_page(3), GRIDVIEW, 3).more


def test_a_postback_page_cannot_be_asked_for_without_the_previous_page() -> None:
    with pytest.raises(ValueError, match="needs the form values read from page 1"):
        list_request(GRIDVIEW, "http://x.test", "1", 2)


def test_an_optional_state_field_the_page_lacks_is_left_out() -> None:
    listing = parse_list(aspx_page(1, validation=False), GRIDVIEW, 1)
    assert listing.more and not listing.errors
    assert set(list_request(GRIDVIEW, "http://x.test", "1", 2, listing.carried).form or {}) == \
        {"__EVENTTARGET", "__EVENTARGUMENT", "__VIEWSTATE", "__VIEWSTATEGENERATOR"}


def test_a_page_without_its_viewstate_is_a_layout_change_not_a_silent_page_one() -> None:
    listing = parse_list(aspx_page(1, viewstate=False), GRIDVIEW, 1)
    assert not listing.more and "input#__VIEWSTATE" in listing.errors["form.__VIEWSTATE"]
    with pytest.raises(LayoutChanged, match="form.__VIEWSTATE"):
        require_complete(listing)
