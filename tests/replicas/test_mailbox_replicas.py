"""The 市长信箱 replicas over real HTTP: paging against ground truth, detail fields, advance, seeds, GBK."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from replicas.mailboxes import dalian
from tests.replicahost import control, replica_process

SITES = ["dalian", "changsha", "tianjin", "hanweb_proxy", "beijing12345", "trs"]
LISTS_PRIVATE_ROWS = {"dalian", "changsha"}  # the others never list non-public letters
DALIAN_OPTIONS = {"letters": "70", "per_page": "20"}  # strings, as the CLI hands them over
BEIJING_LIST = "/default/com.web.complain.complain.moreNewComplain.biz.ext"
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"
TRS_COLUMN = "/col/col3187/"
TRS_PAGER = re.compile(r'<script type="text/javascript">createPageHTML\((\d+), (\d+), "index", "html"\);</script>')
HANWEB_FORM = {"col": "1", "appid": "1", "webid": "1", "path": "/", "columnid": "1229", "sourceContentType": "1",
               "unitid": "5735", "webname": "南通市人民政府", "permissiontype": "0"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers and raw body (a form makes it a POST), without following redirects."""
    data = None if form is None else urllib.parse.urlencode(form).encode("ascii")
    try:
        with _OPENER.open(url, data=data, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(url: str, encoding: str = "utf-8", form: dict[str, str] | None = None) -> Selector:
    status, _, body = fetch(url, form)
    assert status == 200, url
    return Selector(text=body.decode(encoding))


def param(href: str, key: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)[key][0]


def stamp(iso: str) -> str:
    """ISO 8601 with offset -> the `YYYY-MM-DD HH:MM:SS` the pages print."""
    return iso[:19].replace("T", " ")


def lines(selector: Selector, xpath: str) -> str:
    return "\n".join(text.strip() for text in selector.xpath(xpath).getall() if text.strip())


def match(pattern: str, text: str) -> str:
    """The first group of a full match; fails the test when the text does not have the expected shape."""
    found = re.fullmatch(pattern, text, re.DOTALL)
    assert found, f"{text[:80]!r} does not match {pattern}"
    return found.group(1)


def truth(base: str, name: str) -> list[dict[str, Any]]:
    return control(base, f"{name}/letters")


def pick(letters: list[dict[str, Any]], replied: bool) -> dict[str, Any]:
    return next(x for x in letters if x["public"] and (x["reply"] is not None) == replied)


# -- walking each list the way its site pages ---------------------------------------------------------

def walk_dalian(base: str) -> tuple[list[str], int, int]:
    url: str | None = f"{base}/fgw/gzjl/xjlb_1.jspx"
    ids, rows, pages = [], 0, 0
    while url:
        current = page(url)
        pages += 1
        for row in current.css("ul.mt10 > li"):
            rows += 1
            href = row.xpath("./a[2]/@href").get()
            ids += [param(href, "gdId")] if href else []
        following = current.xpath('//div[@class="page"]/a[text()="下一页"]/@href').get()
        url = urllib.parse.urljoin(url, following) if following else None
    return ids, rows, pages


def _walk_table(url: str | None, rows_xpath: str, key: str, encoding: str) -> tuple[list[str], int, int]:
    ids, rows, pages = [], 0, 0
    while url:
        current = page(url, encoding)
        pages += 1
        for row in current.xpath(rows_xpath)[1:-1]:  # skip the header and the pager row
            rows += 1
            href = row.xpath("./td[2]/a/@href").get()
            ids += [param(href, key)] if href else []
        following = current.xpath('//a[text()="下一页"]/@href').get()
        url = urllib.parse.urljoin(url, following) if following else None
    return ids, rows, pages


def walk_changsha(base: str) -> tuple[list[str], int, int]:
    start = f"{base}/webapp/cs/email/index.jsp?cflag=1&emailList.offset=0&emailList.desc=false"
    return _walk_table(start, "//table[@class='table1']/tr", "id", "utf-8")


TIANJIN_DEPTS = ("1001000000000000", "1002000000000000")  # the two deptIds the 2019 crawlers read
TIANJIN_LIST = "/gov_open/question/zero/list8a.jsp?curpage=1&rows=15"


def walk_tianjin(base: str) -> tuple[list[str], int, int]:
    """Both departments' boards (the table known only as table[@align]), merged newest first."""
    ids, rows, pages = [], 0, 0
    for dept in TIANJIN_DEPTS:
        found, shown, read = _walk_table(f"{base}{TIANJIN_LIST}&deptId={dept}", "//table[@align]/tr", "id", "gbk")
        assert found == sorted(found, key=int, reverse=True) and found, dept  # newest first within a board
        ids, rows, pages = ids + found, rows + shown, pages + read
    return sorted(ids, key=int, reverse=True), rows, pages


def hanweb_ids(xml: str) -> list[str]:
    records = Selector(text=xml, type="xml").xpath("//recordset/record/text()").getall()
    hrefs = [Selector(text=record).css("li a::attr(href)").get("") for record in records]
    return [match(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_1229_(\d+)\.html", href) for href in hrefs]


def walk_hanweb_proxy(base: str) -> tuple[list[str], int, int]:
    column = page(f"{base}/col/col1229/index.html")
    ids = hanweb_ids(column.xpath('//script[@type="text/xml"]/text()').get(""))
    total = int(match(r".*totalRecord:(\d+),.*", column.get()))
    requests = 1
    while len(ids) < total:
        url = f"{base}{HANWEB_PROXY}?startrecord={len(ids) + 1}&endrecord={len(ids) + 45}&perpage=15"
        status, headers, body = fetch(url, HANWEB_FORM)
        assert status == 200 and headers["Content-Type"] == "text/xml;charset=UTF-8"
        xml = body.decode("utf-8")
        assert f"<totalrecord>{total}</totalrecord>" in xml
        got = hanweb_ids(xml)
        assert got, "the proxy stopped before totalrecord"
        ids += got
        requests += 1
    return ids, len(ids), requests


def beijing_page(base: str, begin: int) -> dict[str, Any]:
    form = {"PageCond/begin": str(begin), "PageCond/length": "6", "PageCond/isCount": "true"}
    status, _, body = fetch(base + BEIJING_LIST, form)
    assert status == 200
    return json.loads(body)


def walk_beijing12345(base: str) -> tuple[list[str], int, int]:
    ids: list[str] = []
    begin, requests, count = 0, 0, 1
    while begin < count:
        answer = beijing_page(base, begin)
        count = answer["PageCond"]["count"]
        ids += [item["originalId"] for item in answer["newComplainnList"]]
        begin, requests = begin + 6, requests + 1
    return ids, len(ids), requests


def trs_list(base: str, index: int) -> tuple[list[str], int, int]:
    """A TRS list page (index.html for 0, else index_<n>.html): its article ids, and the page count and
    current page (from 0) of its createPageHTML call — the only pager it has without a browser."""
    name = "index.html" if index == 0 else f"index_{index}.html"
    status, headers, body = fetch(base + TRS_COLUMN + name)
    assert status == 200 and headers["Content-Type"] == "text/html"
    text = body.decode("gb2312")  # strictly GB2312: what the meta tag declares
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in text
    [(pages, current)] = TRS_PAGER.findall(text)
    hrefs = Selector(text=text).css("ul.xjgk_list > li > a::attr(href)").getall()
    return [match(r"\./2026\d\d/t2026\d{4}_(\d+)\.html", href) for href in hrefs], int(pages), int(current)


def walk_trs(base: str) -> tuple[list[str], int, int]:
    ids, pages, requests = [], 1, 0
    while requests < pages:
        found, pages, current = trs_list(base, requests)
        assert current == requests
        ids += found
        requests += 1
    return ids, len(ids), requests


WALKERS: dict[str, Callable[[str], tuple[list[str], int, int]]] = {
    "dalian": walk_dalian, "changsha": walk_changsha, "tianjin": walk_tianjin,
    "hanweb_proxy": walk_hanweb_proxy, "beijing12345": walk_beijing12345, "trs": walk_trs,
}


# -- reading a reply off each detail page -----------------------------------------------------------

def reply_on_detail(name: str, base: str, letter: dict[str, Any]) -> str:
    url = base + letter["detail_path"]
    if name == "dalian":
        return lines(page(url), "//table/tbody/tr[5]/td//text()")
    if name == "changsha":
        return lines(page(url), "(//div[@class='letter_content1'])[2]/div[@class='specific_letter']//text()")
    if name == "tianjin":
        return lines(page(url, "gbk"), "(//span[@class='content'])[9]//text()")
    if name == "hanweb_proxy":
        return lines(page(url), "//tr[td[@class='td_label']='回复内容']/td[@class='td_value']//text()")
    if name == "trs":
        return lines(page(url, "gb2312"), "//div[@class='xj_reply']/div[@class='TRS_Editor']/p//text()")
    return lines(page(url), "(//div[@class='mail_track'])[2]/p//text()")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One process serving all five, read-only for the tests that use it."""
    with replica_process(tmp_path_factory.mktemp("mailboxes"), SITES, options={"dalian": DALIAN_OPTIONS}) as urls:
        yield urls


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A second process for the tests that move the worlds forward."""
    with replica_process(tmp_path_factory.mktemp("mailboxes-fresh"), SITES) as urls:
        yield urls


@pytest.mark.parametrize("name", SITES)
def test_paging_reaches_every_public_letter_exactly_once(sites: dict[str, str], name: str) -> None:
    letters = truth(sites[name], name)
    public = [x["id"] for x in letters if x["public"]]
    assert 0 < len(public) < len(letters)  # some letters are not public on every site
    ids, rows, requests = WALKERS[name](sites[name])
    assert Counter(ids) == Counter(public) and len(ids) == len(set(ids))
    assert ids == public  # newest first, across pages
    assert rows == (len(letters) if name in LISTS_PRIVATE_ROWS else len(public))
    expected_letters = int(DALIAN_OPTIONS["letters"]) if name == "dalian" else 60
    assert len(letters) == expected_letters
    per_request = {"dalian": 20, "changsha": 12, "tianjin": 15, "hanweb_proxy": 45, "beijing12345": 6,
                   "trs": 15}[name]
    boards = Counter(x["dept"] for x in letters if x["public"]).values() if name == "tianjin" else [rows]
    assert requests == sum(-(-n // per_request) for n in boards)  # every page a full batch but each board's last


def test_dalian_list_rows_and_detail_table(sites: dict[str, str]) -> None:
    base = sites["dalian"]
    letters = truth(base, "dalian")
    rows = page(f"{base}/fgw/gzjl/xjlb_1.jspx").css("ul.mt10 > li")
    assert len(rows) == 20
    for row, letter in zip(rows, letters, strict=False):
        cells = [row.xpath(f"string(./a[{n}])").get() for n in range(1, 6)]
        assert cells == [letter["letter_no"], letter["title"], letter["kind"], letter["status"], letter["unit"]]
        assert bool(row.xpath("./a[2]/@href")) == letter["public"]
        assert re.fullmatch(r"G20261\d{3}-\d{4}", letter["letter_no"])
    done, waiting = pick(letters, True), pick(letters, False)
    table = page(base + done["detail_path"]).xpath("//table/tbody/tr")
    assert table[0].xpath("./td[1]/text()").get() == done["letter_no"]
    assert lines(table[2], "./td//text()") == done["body"]
    assert lines(table[4], "./td//text()") == done["reply"]["text"]
    assert done["reply"]["text"].startswith("市12345平台：") and done["status"] == "已办结"
    assert table[5].xpath("./td/text()").getall() == [stamp(done["posted_at"]), stamp(done["reply"]["replied_at"])]
    open_table = page(base + waiting["detail_path"]).xpath("//table/tbody/tr")
    assert not open_table[4].xpath("./td//text()") and not open_table[5].xpath("./td[2]/text()")
    hidden = next(x for x in letters if not x["public"])
    notice = page(f"{base}/fgw/gzjl/detail.jspx?gdId={hidden['id']}")
    assert not notice.css("table") and "未公开" in notice.css("div.xj_tip::text").get("")


def test_dalian_numbers_repeat_like_the_real_site_and_the_list_follows_the_gd_id(sites: dict[str, str]) -> None:
    """Real data (jamesfyp/WaiBaoSpider data/dalian, 3,773 letters): G20180321-0036 and G20170905-0018 each
    name two letters posted seconds apart the same day; gdIds are ff808081… uuid.hex values, descending."""
    letters = truth(sites["dalian"], "dalian")
    numbers = Counter(x["letter_no"] for x in letters)
    shared = [x for x in letters if numbers[x["letter_no"]] > 1]
    assert shared and all(numbers[x["letter_no"]] == 2 for x in shared)
    for number in {x["letter_no"] for x in shared}:
        pair = [x for x in letters if x["letter_no"] == number]
        assert pair[0]["id"] != pair[1]["id"] and pair[0]["title"] != pair[1]["title"]
        assert {x["posted_at"][:10].replace("-", "") for x in pair} == {number[1:9]}  # the number's date: posted
    ids = [x["id"] for x in letters]
    assert ids == sorted(ids, reverse=True) and all(re.fullmatch(r"ff808081[0-9a-f]{24}", i) for i in ids)
    never = dalian.create("dalian", 7, letters="70", shared_every="0")
    assert len({never.letter_no(x) for x in never.world.letters}) == 70


def test_dalian_letters_of_a_later_started_server_stay_on_top_of_the_list() -> None:
    """The 2019 list is in gdId order: G20181106-0026 (server start 66bd82bc) above letters up to 2018-11-21
    (start 66b2d9e2). With `pinned_every` such letters keep their place above every newer letter."""
    site = dalian.create("dalian", 7, letters="40", pinned_every="10")
    listed = [site.truth(x) for x in site.listed()]
    assert [x["pinned"] for x in listed[:4]] == [True] * 4 and not any(x["pinned"] for x in listed[4:])
    assert listed[4]["posted_at"] > listed[3]["posted_at"]  # a newer letter below an older one
    site.advance(2)
    newest = max(site.world.letters, key=lambda x: x.posted_at)
    assert [x["id"] for x in map(site.truth, site.listed())].index(site.site_id(newest)) >= 4


def test_changsha_offset_table_and_two_block_detail(sites: dict[str, str]) -> None:
    base = sites["changsha"]
    letters = truth(base, "changsha")
    url = f"{base}/webapp/cs/email/index.jsp?cflag=1&emailList.offset=12&emailList.desc=false"
    rows = page(url).xpath("//table[@class='table1']/tr")[1:-1]
    assert len(rows) == 12
    for number, (row, letter) in enumerate(zip(rows, letters[12:24], strict=True), start=13):
        cells = [row.xpath(f"string(./td[{n}])").get() for n in range(1, 7)]
        replied = letter["reply"]["replied_at"][:10] if letter["reply"] else ""
        assert cells == [str(number), letter["title"], letter["kind"], replied, letter["unit"], letter["author"]]
    done, waiting = pick(letters, True), pick(letters, False)
    detail = page(base + done["detail_path"])
    assert detail.xpath("//div[@class='mailbox_title']/text()").get() == done["title"]
    assert detail.css("div.current1 p span::text").get() == f"浏览量：{done['views']}"
    assert lines(detail, "(//div[@class='letter_content1'])[1]/div[@class='specific_letter']//text()") == done["body"]
    first, second = detail.css("div.specific_letter_bottom")
    assert first.xpath("./span[1]/text()").get() == f"来信时间：{stamp(done['posted_at'])}"
    assert second.xpath("./span[1]/text()").get() == f"满意度：{done['satisfaction'] or '未评价'}"
    assert second.xpath("./span[2]/text()").get() == f"回复时间：{stamp(done['reply']['replied_at'])}"
    assert reply_on_detail("changsha", base, done) == done["reply"]["text"]
    assert len(page(base + waiting["detail_path"]).css("div.letter_content1")) == 1
    hidden = next(x for x in letters if not x["public"])
    status, headers, _ = fetch(f"{base}/webapp/cs/email/detail.jsp?id={hidden['id']}")
    assert status == 302 and headers["Location"].startswith("/webapp/cs/email/index.jsp?cflag=1")


def test_tianjin_nine_spans_overdue_flag_and_jump_link(sites: dict[str, str]) -> None:
    base = sites["tianjin"]
    letters = truth(base, "tianjin")
    assert {x["overdue"] for x in letters if x["public"]} == {True, False, None}
    for letter in (next(x for x in letters if x["public"] and x["overdue"] is flag) for flag in (True, False)):
        spans = page(base + letter["detail_path"], "gbk").css("span.content")
        assert len(spans) == 9
        values = [lines(span, ".//text()").replace("\xa0", "").strip() for span in spans]
        assert values == [letter["author"], stamp(letter["posted_at"]), letter["title"], letter["body"],
                          letter["reply"]["unit"], stamp(letter["reply"]["replied_at"]),
                          "是" if letter["overdue"] else "否", letter["reply_title"], letter["reply"]["text"]]
        assert spans[4].xpath("./a/text()").get() == letter["unit"]
    waiting = pick(letters, False)
    spans = page(base + waiting["detail_path"], "gbk").css("span.content")
    assert len(spans) == 9 and all(not span.xpath(".//text()") for span in spans[4:])
    jump = "zero_xianqing" if waiting["dept"] == TIANJIN_DEPTS[0] else "zero_ly"
    status, headers, _ = fetch(f"{base}/gov_open/question/zero/{jump}/?id={waiting['id']}")
    assert status == 302 and headers["Location"] == f"/gov_open/{waiting['id']}.html"
    hidden = next(x for x in letters if not x["public"])
    assert fetch(f"{base}/gov_open/{hidden['id']}.html")[0] == 404


def test_tianjin_lists_a_department_s_letters_and_nothing_without_its_dept_id(sites: dict[str, str]) -> None:
    base = sites["tianjin"]
    letters = truth(base, "tianjin")
    for dept, link in zip(TIANJIN_DEPTS, (r"_xianqing/\?id=(\d+)", r"ly/\?id=(\d+)"), strict=True):
        rows = page(f"{base}{TIANJIN_LIST}&deptId={dept}", "gbk").xpath("//table[@align]/tr")[1:-1]
        first = next(x for x in letters if x["public"] and x["dept"] == dept)
        cells = [rows[0].xpath(f"string(./td[{n}])").get().strip() for n in range(1, 7)]
        assert cells == [first["kind"], first["title"], first["district"], stamp(first["posted_at"])[:10],
                         stamp(first["reply"]["replied_at"])[:10] if first["reply"] else "", first["status"]]
        assert rows[0].xpath("./td[2]/a/span/text()").get() == first["title"]
        assert re.search(link, rows[0].xpath("./td[2]/a/@href").get()).group(1) == first["id"]
    for url in (f"{base}{TIANJIN_LIST}", f"{base}{TIANJIN_LIST}&deptId=1003000000000000"):
        assert len(page(url, "gbk").xpath("//table[@align]/tr")) == 2  # the header and the pager only


def test_tianjin_is_gbk_declared_only_in_the_meta_tag(sites: dict[str, str]) -> None:
    base = sites["tianjin"]
    status, headers, body = fetch(f"{base}{TIANJIN_LIST}&deptId={TIANJIN_DEPTS[0]}")
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in text
    first = pick(truth(base, "tianjin"), True)
    assert first["title"].encode("gbk") in fetch(base + first["detail_path"])[2]
    assert first["reply"]["text"].encode("gbk") in fetch(base + first["detail_path"])[2]


def test_hanweb_article_table_and_proxy_refuses_other_columns(sites: dict[str, str]) -> None:
    base = sites["hanweb_proxy"]
    letters = truth(base, "hanweb_proxy")
    done, waiting = pick(letters, True), pick(letters, False)
    detail = page(base + done["detail_path"])
    table = {row.xpath("string(./td[1])").get(): lines(row, "./td[2]//text()")
             for row in detail.css("table.xxgk_table tr")}
    assert table == {"信件标题": done["title"], "来信人": done["author"], "来信时间": stamp(done["posted_at"]),
                     "信件类型": done["kind"], "办理状态": done["status"], "来信内容": done["body"],
                     "办理单位": done["unit"], "回复时间": stamp(done["reply"]["replied_at"]),
                     "回复内容": done["reply"]["text"]}
    assert "回复内容" not in page(base + waiting["detail_path"]).get()
    url = f"{base}{HANWEB_PROXY}?startrecord=1&endrecord=45&perpage=15"
    other = fetch(url, {**HANWEB_FORM, "columnid": "9999"})[2].decode("utf-8")
    assert "<totalrecord>0</totalrecord>" in other and "<record>" not in other
    hidden = next(x for x in letters if not x["public"])
    day = hidden["posted_at"][:10].split("-")
    path = f"/art/{day[0]}/{int(day[1])}/{int(day[2])}/art_1229_{hidden['id']}.html"
    assert fetch(base + path)[0] == 404 and fetch(base + "/col/col1230/index.html")[0] == 404


def test_beijing_json_list_and_mail_track_detail(sites: dict[str, str]) -> None:
    base = sites["beijing12345"]
    letters = [x for x in truth(base, "beijing12345") if x["public"]]
    answer = beijing_page(base, 6)
    assert answer["PageCond"]["count"] == len(letters) and answer["PageCond"]["length"] == 6
    for item, letter in zip(answer["newComplainnList"], letters[6:12], strict=True):
        assert item == {"letterType": {"咨询": "1", "建议": "2", "投诉": "3"}[letter["kind"]],
                        "letterTitle": letter["title"], "letterContent": letter["body"],
                        "writeUser": letter["author"], "fomateWriteDate": letter["posted_at"][:10],
                        "originalId": letter["id"], "reCode": letter["re_code"]}
    done, waiting = pick(letters, True), pick(letters, False)
    detail = page(base + done["detail_path"])
    assert detail.xpath("//p[@class='font12 gray time_mail']/span[2]/text()").get() == \
        f"来信时间：{stamp(done['posted_at'])}"
    track = detail.xpath("(//div[@class='mail_track'])[2]")
    assert track.xpath("./span/text()").getall() == [done["unit"], stamp(done["reply"]["replied_at"])]
    assert reply_on_detail("beijing12345", base, done) == done["reply"]["text"]
    assert detail.css("span#zanNum::text").get() == str(done["likes"])
    assert len(page(base + waiting["detail_path"]).css("div.mail_track")) == 1


@pytest.mark.parametrize("name", SITES)
def test_advance_adds_letters_and_replies(fresh: dict[str, str], name: str) -> None:
    base = fresh[name]
    before = {x["id"]: x for x in truth(base, name)}
    summary = control(base, "advance", {"steps": 3})
    assert summary["clock"] == "2026-11-20T21:00:00+08:00" and len(summary["new"]) == 9
    after = {x["id"]: x for x in truth(base, name)}
    assert set(summary["new"]) == set(after) - set(before)
    changed = {i for i in before if before[i]["status"] != after[i]["status"]}
    assert changed and changed == set(summary["status_changed"]) - set(summary["new"])
    ids, _, _ = WALKERS[name](base)
    assert ids == [i for i, x in after.items() if x["public"]]
    new_public = [i for i in summary["new"] if after[i]["public"]]
    assert set(ids[:len(new_public)]) == set(new_public)  # the new letters top the list
    replied = [i for i in summary["replied"] if after[i]["public"]]
    assert replied and set(summary["replied"]) <= set(summary["status_changed"])
    letter = after[replied[0]]
    assert letter["reply"]["replied_at"] > "2026-11-20T09:00:00+08:00"
    assert reply_on_detail(name, base, letter) == letter["reply"]["text"]
    stats = control(base, "stats")
    assert stats["letters"] == 69 and sum(stats["by_status"].values()) == 69


def first_page(name: str, base: str) -> bytes:
    walk_start = {
        "dalian": "/fgw/gzjl/xjlb_1.jspx",
        "changsha": "/webapp/cs/email/index.jsp?cflag=1&emailList.offset=0&emailList.desc=false",
        "tianjin": f"{TIANJIN_LIST}&deptId={TIANJIN_DEPTS[0]}",
        "hanweb_proxy": "/col/col1229/index.html",
        "trs": TRS_COLUMN + "index.html",
    }
    if name == "beijing12345":
        return fetch(base + BEIJING_LIST, {"PageCond/begin": "0", "PageCond/length": "6"})[2]
    return fetch(base + walk_start[name])[2]


def test_same_seed_same_sites_other_seed_differs(sites: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "twin").mkdir()
    (tmp_path / "other").mkdir()  # each process needs its own ports file
    options = {"dalian": DALIAN_OPTIONS}
    with (replica_process(tmp_path / "twin", SITES, seed=7, options=options) as twin,
          replica_process(tmp_path / "other", SITES, seed=8, options=options) as other):
        for name in SITES:
            ours = [first_page(name, sites[name]), fetch(f"{sites[name]}/__replica__/{name}/letters")[2]]
            assert [first_page(name, twin[name]), fetch(f"{twin[name]}/__replica__/{name}/letters")[2]] == ours
            assert first_page(name, other[name]) != ours[0]
            assert truth(other[name], name) != truth(sites[name], name)


def test_options_are_checked() -> None:
    site = dalian.create("dalian", 3, letters="5", per_page="2", latency_ms="0")
    assert len(site.world.letters) == 5 and site.options.per_page == 2
    with pytest.raises(TypeError):
        dalian.create("dalian", 3, lettres="5")
    with pytest.raises(ValueError):
        dalian.create("dalian", 3, per_page="0")



# -- TRS WCM 信件公开: static index.html, index_1.html … whose pager is only a script call ------------------------

def trs_article(letter: dict[str, Any]) -> str:
    """Where TRS publishes a letter, public or not: <column>/<yyyymm>/t<yyyymmdd>_<id>.html."""
    day = letter["posted_at"][:10].replace("-", "")
    return f"{TRS_COLUMN}{day[:6]}/t{day}_{letter['id']}.html"


def trs_table(detail: Selector) -> dict[str, str]:
    return {th.xpath("string()").get(""): th.xpath("string(following-sibling::td[1])").get("")
            for th in detail.css("table.xj_table th")}


def test_trs_pager_is_only_a_script_call_and_pages_past_the_end_were_never_published(sites: dict[str, str]) -> None:
    base = sites["trs"]
    public = [x for x in truth(base, "trs") if x["public"]]
    pages = -(-len(public) // 15)
    ids, count, current = trs_list(base, 0)
    assert (count, current) == (pages, 0) and pages > 2 and ids == [x["id"] for x in public[:15]]
    assert trs_list(base, pages - 1)[1:] == (pages, pages - 1)
    body = fetch(base + TRS_COLUMN + "index.html")[2]
    assert b"index_1.html" not in body and not Selector(text=body.decode("gb2312")).css("div.page a")
    for unpublished in (f"index_{pages}.html", "index_0.html"):
        assert fetch(base + TRS_COLUMN + unpublished)[0] == 404
    assert fetch(base + "/col/col3188/index.html")[0] == 404


def test_trs_article_label_table_editor_blocks_and_unpublished_letters(sites: dict[str, str]) -> None:
    base = sites["trs"]
    letters = truth(base, "trs")
    graded = next(x for x in letters if x["public"] and x["satisfaction"])
    assert graded["detail_path"] == trs_article(graded)
    detail = page(base + graded["detail_path"], "gb2312")
    assert detail.css("h1.xj_title::text").get() == graded["title"]
    assert trs_table(detail) == {"信件编号": graded["letter_no"], "信件类型": graded["kind"], "来信人": graded["author"],
                                 "来信时间": stamp(graded["posted_at"]), "办理单位": graded["unit"],
                                 "办理状态": graded["status"], "回复时间": stamp(graded["reply"]["replied_at"]),
                                 "满意度": graded["satisfaction"]}
    assert graded["status"] == "已办结" and re.fullmatch(r"2026\d{8}", graded["letter_no"])
    assert lines(detail, "//div[@class='xj_letter']/div[@class='TRS_Editor']/p//text()") == graded["body"]
    assert len(detail.css("div.TRS_Editor > style")) == 2  # the editor's style block travels with each text
    assert reply_on_detail("trs", base, graded) == graded["reply"]["text"]
    ungraded = next(x for x in letters if x["public"] and x["status"] == "已办结" and not x["satisfaction"])
    assert trs_table(page(base + ungraded["detail_path"], "gb2312"))["满意度"] == "未评价"
    waiting = next(x for x in letters if x["public"] and x["status"] == "待受理")
    detail = page(base + waiting["detail_path"], "gb2312")
    assert trs_table(detail) == {"信件编号": waiting["letter_no"], "信件类型": waiting["kind"], "来信人": waiting["author"],
                                 "来信时间": stamp(waiting["posted_at"]), "办理单位": "", "办理状态": "待受理"}
    assert not detail.css("div.xj_reply")
    hidden = next(x for x in letters if not x["public"])
    assert hidden["detail_path"] is None and fetch(base + trs_article(hidden))[0] == 404
    assert fetch(base + graded["detail_path"].replace("/t2026", "/t2025"))[0] == 404  # another date: no such file


def test_trs_regenerates_its_pages_so_new_letters_push_older_ones_to_index_1(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["trs"], options={"trs": {"letters": "30"}}) as urls:
        base = urls["trs"]
        before = trs_list(base, 0)[0]
        moved = control(base, "advance", {"steps": 2})
        public = [x["id"] for x in truth(base, "trs") if x["public"]]
        new = [i for i in public if i in moved["new"]]
        first, pages, _ = trs_list(base, 0)
        second = trs_list(base, 1)[0]
    assert len(before) == 15 and 0 < len(new) < 15 and pages == -(-len(public) // 15)
    assert first == new + before[:15 - len(new)]  # the new letters top index.html …
    assert second[:len(new)] == before[15 - len(new):]  # … and push its last ones to index_1.html

# -- 徐州 12345 (ASP.NET WebForms): the list pages only by postback ------------------------------------------

XUZHOU_LIST = "/xzbmweb/ywxxtemplate/ggfw_slgs.aspx"
WINDOW_OPEN = r'window\.open\("\.\./ywxx/CaseDetail\.aspx\?caseid=(\d+)"\)'
XUZHOU_OPTIONS = {"letters": "60", "per_page": "5"}  # 12 pages; the pager links 5 page numbers around the current
STATE_FIELDS = ("__VIEWSTATE", "__VIEWSTATEGENERATOR", "__EVENTVALIDATION")


@pytest.fixture(scope="module")
def xuzhou(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with replica_process(tmp_path_factory.mktemp("xuzhou"), ["xuzhou"], options={"xuzhou": XUZHOU_OPTIONS}) as urls:
        yield urls["xuzhou"]


def aspx(base: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    status, _, body = fetch(base + XUZHOU_LIST, form)
    return status, body.decode("gbk")


def postback(state: Selector, argument: str, **changes: str) -> dict[str, str]:
    """What clicking the pager link `argument` on `state` sends (with `changes` applied)."""
    form = {name: state.css(f"input#{name}::attr(value)").get("") for name in STATE_FIELDS}
    return {**form, "__EVENTTARGET": "CaseGgfwAll1$Pager", "__EVENTARGUMENT": argument, **changes}


def pager_arguments(current: Selector) -> list[str]:
    links = current.css("#CaseGgfwAll1_Pager a::attr(href)").getall()
    return [match(r"javascript:__doPostBack\('CaseGgfwAll1\$Pager','(\d+)'\)", href) for href in links]


def test_xuzhou_postback_paging_reaches_every_public_letter_once(xuzhou: str) -> None:
    letters = truth(xuzhou, "xuzhou")
    status, html = aspx(xuzhou)
    current, ids, rows, pages = Selector(text=html), [], 0, 1
    assert status == 200 and '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in html
    while True:
        # As the 2019 crawler of the real site read it (jamesfyp/WaiBaoSpider xuzhou.py).
        for row in current.xpath("//tr[@class='HeadStyleOfDataGridItemStyle']"):
            rows += 1
            assert len(row.xpath("./td/font")) == 6 and not row.xpath(".//a/@href")
            onclick = row.xpath("./td[3]/font/a/@onclick").get()
            ids += [match(WINDOW_OPEN, onclick)] if onclick else []
        following = current.xpath("//div[@id='CaseGgfwAll1_Pager']/a[.='下一页']/@href").get()
        if following is None:
            break
        argument = match(r"javascript:__doPostBack\('CaseGgfwAll1\$Pager','(\d+)'\)", following)
        status, html = aspx(xuzhou, postback(current, argument))
        assert status == 200 and argument == str(pages + 1)
        current, pages = Selector(text=html), pages + 1
    assert ids == [x["id"] for x in letters if x["public"]] and rows == len(letters) == 60 and pages == 12
    assert current.xpath("//input[@name='CaseGgfwAll1$Pager_input']/@value").get() == "12"
    assert control(xuzhou, "stats")["postbacks"]["paged"] >= 11


def test_xuzhou_refuses_forged_stale_and_foreign_state(xuzhou: str, tmp_path: Path) -> None:
    first = Selector(text=aspx(xuzhou)[1])
    assert pager_arguments(first) == ["2", "3", "4", "5", "2", "12"]  # 1 2 3 4 5, 下一页, 尾页
    good = postback(first, "2")
    viewstate = good["__VIEWSTATE"]
    forged = viewstate[:-6] + ("AAAAAA" if not viewstate.endswith("AAAAAA") else "BBBBBB")
    third = Selector(text=aspx(xuzhou, postback(Selector(text=aspx(xuzhou, good)[1]), "3"))[1])
    other_seed = tmp_path / "other"
    other_seed.mkdir()
    with replica_process(other_seed, ["xuzhou"], seed=8, options={"xuzhou": XUZHOU_OPTIONS}) as urls:
        foreign = postback(Selector(text=aspx(urls["xuzhou"])[1]), "2")
    refusals = {
        "forged viewstate": ({**good, "__VIEWSTATE": forged}, "验证视图状态 MAC 失败"),
        "another site's viewstate": (foreign, "验证视图状态 MAC 失败"),
        "garbage": ({**good, "__VIEWSTATE": "not base64!"}, "状态信息无效"),
        "page 3's validation with page 1's viewstate": (
            {**good, "__EVENTVALIDATION": third.css("input#__EVENTVALIDATION::attr(value)").get("")}, "状态信息无效"),
        "page 7 from page 1 (not on its pager)": (postback(first, "7"), "回发或回调参数无效"),
        "no event validation": ({k: v for k, v in good.items() if k != "__EVENTVALIDATION"}, "回发或回调参数无效"),
    }
    for what, (form, words) in refusals.items():
        status, html = aspx(xuzhou, form)
        assert status == 500 and words in html and "应用程序中的服务器错误" in html, what
        assert "HeadStyleOfDataGridItemStyle" not in html, what
    assert "Validation of viewstate MAC failed" in aspx(xuzhou, refusals["forged viewstate"][0])[1]
    # A POST without any state is no postback to ASP.NET: the first page again, whatever page was asked for.
    status, html = aspx(xuzhou, {"__EVENTTARGET": "CaseGgfwAll1$Pager", "__EVENTARGUMENT": "5"})
    assert status == 200 and "第 1/12 页" in html
    assert "第 2/12 页" in aspx(xuzhou, good)[1]  # the genuine postback still works


def test_xuzhou_list_row_cells_and_detail_spans_by_id(xuzhou: str) -> None:
    """The cells and ids the 2019 crawler read: 工单号 td[2], title td[3] (onclick), 类型, 办理部门, 办理状态 td[6];
    span#CaseDetail_lbl_title, _requestDate, _content, _CaseType, _answerDate, _AnswerContent, _result."""
    letters = truth(xuzhou, "xuzhou")
    row = Selector(text=aspx(xuzhou)[1]).xpath("//tr[@class='HeadStyleOfDataGridItemStyle']")[0]
    first = letters[0]
    cells = [" ".join(row.xpath(f"./td[{n}]/font//text()").get("").split()) for n in range(1, 7)]
    assert cells == ["1", first["letter_no"], first["title"], first["kind"], first["unit"], first["status"]]
    letter = next(x for x in letters if x["public"] and x["reply"] and x["satisfaction"])
    detail = Selector(text=fetch(xuzhou + letter["detail_path"])[2].decode("gbk"))
    span = {key: detail.xpath(f"//span[@id='CaseDetail_lbl_{key}']/text()").get("").strip() for key in
            ("title", "requestDate", "CaseType", "answerDate", "result")}
    assert span == {"title": letter["title"], "requestDate": stamp(letter["posted_at"]).replace("-", "/"),
                    "CaseType": letter["kind"], "answerDate": stamp(letter["reply"]["replied_at"]).replace("-", "/"),
                    "result": letter["satisfaction"]}
    for key, text in (("content", letter["body"]), ("AnswerContent", letter["reply"]["text"])):
        nodes = detail.xpath(f"//span[@id='CaseDetail_lbl_{key}']/node()").getall()
        assert len(nodes) == 1 and nodes[0].strip().splitlines() == text.split("\n"), key  # one text node
    hidden = next(x for x in letters if not x["public"])
    status, _, body = fetch(f"{xuzhou}/xzbmweb/ywxx/CaseDetail.aspx?caseid={hidden['id']}")
    assert status == 200 and Selector(text=body.decode("gbk")).css("span#CaseDetail_lbl_msg::text").get() == \
        "该工单不存在或未公开。"
