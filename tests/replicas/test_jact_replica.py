"""The jact 市长信箱 replica, served as a separate process and fetched over loopback HTTP.

By default it lists letters as the real sites do, through a POSTed data proxy (replicas/jact/README.md); the
old mailpublist.do?pageIndex=N variant and the other layouts are options (`pageindex` fixture)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from parsel import Selector

from replicas.jact.site import create
from tests.replicahost import control, replica_process

LIST = "/jact/front/mailpublist.do"
PROXY = "/jact/front/dataproxy_mailpublist.do"
DETAIL = "/jact/front/mailpubdetail.do"
OLD = {"list": "pageindex", "detail": "labels", "reply": "inline"}  # the variant the replica used to be


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers and raw body, without following redirects (POSTing `form` when given)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with _OPENER.open(url, data=data, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(url: str, encoding: str = "utf-8") -> Selector:
    status, _, body = fetch(url)
    assert status == 200, url
    return Selector(text=body.decode(encoding))


def list_url(base: str, index: int, sysid: str = "6") -> str:
    return f"{base}{LIST}?sysid={sysid}&pageIndex={index}"


def detail_url(base: str, transact_id: int, sysid: str = "6") -> str:
    return f"{base}{DETAIL}?transactId={transact_id}&sysid={sysid}"


def proxy(base: str, start: int, end: int, sysid: str = "6", path: str = PROXY) -> tuple[int | None, list[Selector]]:
    """POST the data proxy for records start..end: (the stated total, one <tr> per dataStore string)."""
    status, headers, body = fetch(f"{base}{path}?startrecord={start}&endrecord={end}&perpage=19&groupSize=3",
                                  {"sysid": sysid, "orderfield": "1"})
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    text = body.decode(headers.get_content_charset() or "utf-8")
    assert text.endswith("];")  # a crawler strips the final ';' and reads the rest as JSON
    strings = json.loads(text.split("dataStore = ")[1].rstrip(";"))
    total = re.search(r"totalRecord = (\d+);", text)
    rows = [Selector(text=f"<table>{markup}</table>").css("tr")[0] for markup in strings]
    return (int(total.group(1)) if total else None), rows


def row_ids(rows: list[Selector]) -> list[int]:
    hrefs = [row.css("a::attr(href)").get() for row in rows]
    return [int(parse_qs(urlsplit(href).query)["transactId"][0]) for href in hrefs if href and "transactId" in href]


def linked_ids(selector: Selector) -> list[int]:
    hrefs = selector.css("table.list_table tr.tr_css a::attr(href)").getall()
    return [int(parse_qs(urlsplit(href).query)["transactId"][0]) for href in hrefs]


def labels(selector: Selector) -> list[str]:
    """The labels of a two-column (`labels`) page, in order."""
    return [text.rstrip("：") for text in selector.css(
        "div.jact_main div.jact_box div.jact_box_font table tr.trbg02 td.list_pd1::text").getall()]


def span_value(selector: Selector, label: str) -> str:
    """A four-column page's value for `label`: the <span> in the cell after the label's."""
    cell = selector.xpath(f'//td[normalize-space(.)="{label}："]/following-sibling::td[1]')
    assert cell and cell.xpath("./span"), f"no span value for {label}"
    return "".join(cell.xpath("./span//text()").getall())


def value(selector: Selector, label: str) -> str:
    cell = selector.xpath(f'//tr[@class="trbg02"][td[@class="list_pd1"]="{label}："]/td[@class="list_pd2"]')
    assert cell, f"no row {label}"
    return "".join(cell.css("::text").getall())


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`python -m replicas serve --only jact,jact_gbk`, read-only for the tests that use it."""
    with replica_process(tmp_path_factory.mktemp("jact"), ["jact", "jact_gbk"]) as urls:
        yield urls


@pytest.fixture(scope="module")
def pageindex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The old variant: mailpublist.do?pageIndex=N with a pager, tr.trbg02 label rows, the reply among them."""
    with replica_process(tmp_path_factory.mktemp("jact_old"), ["jact"], options={"jact": OLD}) as urls:
        yield urls["jact"]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[str]:
    """A private jact replica for tests that change its world."""
    with replica_process(tmp_path, ["jact"]) as urls:
        yield urls["jact"]


def test_same_seed_same_pages_other_seed_differs(sites: dict[str, str], tmp_path: Path) -> None:
    base = sites["jact"]
    first_id = row_ids(proxy(base, 1, 15)[1])[0]
    calls = [(f"{base}{PROXY}?startrecord=1&endrecord=57", {"sysid": "6"}),
             (f"{base}{PROXY}?startrecord=58&endrecord=114", {"sysid": "6"}), (detail_url(base, first_id), None)]
    ours = [fetch(url, form)[2] for url, form in calls]
    (tmp_path / "twin").mkdir()
    (tmp_path / "other").mkdir()  # each process needs its own ports file
    with (replica_process(tmp_path / "twin", ["jact"], seed=7) as twin,
          replica_process(tmp_path / "other", ["jact"], seed=8) as other):
        assert [fetch(url.replace(base, twin["jact"]), form)[2] for url, form in calls] == ours
        assert fetch(calls[0][0].replace(base, other["jact"]), calls[0][1])[2] != ours[0]


def test_the_data_proxy_reaches_every_letter_exactly_once_by_record_ranges(sites: dict[str, str]) -> None:
    """startrecord/endrecord are 1-based and inclusive, newest first; the answer states the total; a range past
    the end answers an empty dataStore (the way the real list stops)."""
    base = sites["jact"]
    truth = control(base, "jact/letters")
    seen: list[int] = []
    rows = 0
    for start in range(1, 200, 57):
        total, found = proxy(base, start, start + 56)
        assert total == 120 and len(found) == max(0, min(57, 120 - start + 1))
        rows += len(found)
        seen += row_ids(found)
    assert Counter(seen) == Counter(letter["id"] for letter in truth if letter["public"])
    assert seen == sorted(seen, reverse=True) and rows == len(truth) == 120
    assert [r.css("td::text").get() for r in proxy(base, 3, 4)[1]] == \
        [r.css("td::text").get() for r in proxy(base, 1, 4)[1]][2:]
    # 莱芜's path answers the same records; another column's sysid gets none
    assert [r.get() for r in proxy(base, 1, 5, path="/jact/front/dataproxy_mailnewlist.action")[1]] == \
        [r.get() for r in proxy(base, 1, 5)[1]]
    assert proxy(base, 1, 57, sysid="7") == (0, [])


def test_the_list_page_only_hosts_the_proxy_script_unless_the_old_variant_is_chosen(sites: dict[str, str],
                                                                                      pageindex: str) -> None:
    host = page(list_url(sites["jact"], 1))
    assert host.css("table.list_table tr.tr_head") and not host.css("tr.tr_css") and not host.css("div.jact_page")
    assert "dataproxy_mailpublist.do" in host.get()
    old = page(list_url(pageindex, 1))
    assert len(old.css("table.list_table tr.tr_css")) == 15 and old.css("div.jact_page a.next")
    status, _, _ = fetch(f"{pageindex}{PROXY}?startrecord=1&endrecord=57", {"sysid": "6"})
    assert status == 404  # that build has no data proxy


def test_old_variant_paging_reaches_every_public_letter_exactly_once(pageindex: str) -> None:
    truth = control(pageindex, "jact/letters")
    url: str | None = list_url(pageindex, 1)
    seen: list[int] = []
    rows = pages = 0
    while url:
        current = page(url)
        seen += linked_ids(current)
        rows += len(current.css("table.list_table tr.tr_css"))
        pages += 1
        next_href = current.css("div.jact_page a.next::attr(href)").get()
        url = urljoin(url, next_href) if next_href else None
    assert Counter(seen) == Counter(letter["id"] for letter in truth if letter["public"])
    assert seen == sorted(seen, reverse=True)  # newest first, across pages
    assert rows == len(truth) == 120
    assert pages == 8 and current.css("div.jact_page span.pages::text").get() == "8"
    assert current.css("div.jact_page span.total::text").get() == "120"
    assert current.css("div.jact_page a.last")


def test_proxy_rows_have_six_cells_and_long_titles_are_cut_to_twenty_chars(sites: dict[str, str]) -> None:
    truth = {letter["letter_no"]: letter for letter in control(sites["jact"], "jact/letters")}
    _, rows = proxy(sites["jact"], 1, 15)
    assert len(rows) == 15 and all(row.attrib["class"] == "tr_css" for row in rows)
    for row in rows:
        cells = [" ".join(td.css("::text").getall()) for td in row.xpath("./td")]
        letter = truth[cells[0]]
        assert cells[2:5] == [letter["status"], letter["posted_at"][:10], letter["unit"]]
        assert cells[5] == str(letter["views"])
        assert bool(row.xpath("./td[5]/a")) == bool(letter["unit"])  # the unit is a link (莱芜)
        link = row.xpath("./td[2]/a")
        if link:
            assert link.attrib["title"] == letter["title"] and link.attrib["href"].startswith("mailpubdetail.do?")
            text = link.css("::text").get()
            assert text == (letter["title"] if len(letter["title"]) <= 20 else letter["title"][:20] + "…")
    assert any(len(letter["title"]) > 20 for letter in truth.values())


def test_five_cell_rows_leave_out_the_unit(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["jact"], options={"jact": {"list_cells": "5", "letters": "20"}}) as urls:
        truth = {letter["letter_no"]: letter for letter in control(urls["jact"], "jact/letters")}
        total, rows = proxy(urls["jact"], 1, 57)
    assert total == 20 and len(rows) == 20
    for row in rows:
        cells = [" ".join(td.css("::text").getall()) for td in row.xpath("./td")]
        letter = truth[cells[0]]
        assert len(cells) == 5 and cells[2:] == [letter["status"], letter["posted_at"][:10], str(letter["views"])]


def test_non_public_letters_have_no_link_and_their_detail_redirects(sites: dict[str, str]) -> None:
    base = sites["jact"]
    hidden = [letter for letter in control(base, "jact/letters") if not letter["public"]]
    assert 4 <= len(hidden) <= 20  # about 8% of 120
    marked = []
    for row in proxy(base, 1, 120)[1]:
        if row.css("span.bgk"):
            assert row.css("span.bgk::text").get() == "[不公开]" and not row.xpath("./td[2]/a")
            marked.append(row.css("td::text").get(""))
    assert sorted(marked) == sorted(letter["letter_no"] for letter in hidden)
    status, headers, _ = fetch(detail_url(base, hidden[0]["id"]))
    assert status == 302 and headers["Location"] == f"{LIST}?sysid=6&msg=nopublic"


def test_unknown_letter_and_page_beyond_the_end(sites: dict[str, str], pageindex: str) -> None:
    status, _, body = fetch(detail_url(sites["jact"], 1))
    assert status == 404 and "不存在" in body.decode("utf-8")
    for index in (9, 10, 99):  # 120 letters fill exactly 8 pages
        beyond = page(list_url(pageindex, index))
        assert beyond.css("table.list_table tr.tr_head") and not beyond.css("tr.tr_css")
        assert not beyond.css("a.next") and beyond.css("span.cur::text").get() == str(index)


def test_a_four_column_letter_page_with_the_reply_in_its_own_table(sites: dict[str, str]) -> None:
    """The default letter page, at the places a 菏泽 crawler reads: the text in row 3's second cell's span, 来信时间
    in row 6's fourth; the reply's table in a padded <div>: 回复内容 row 3, 办理单位 (a link) and 回复时间 row 4."""
    base = sites["jact"]
    truth = control(base, "jact/letters")
    graded = next(x for x in truth if x["public"] and x["satisfaction"] and x["attachments"])
    detail = page(detail_url(base, graded["id"]))
    letter = detail.xpath('//div[@class="jact_box_font"]//table')
    assert len(letter) == 1 and not detail.css("tr.trbg02")
    assert letter.xpath("./tr[3]/td[2]/span[@class='contentspan']/text()").get() == graded["body"].split("\n")[0]
    assert letter.xpath("./tr[6]/td[4]/span/text()").get() == graded["posted_at"][:19].replace("T", " ")
    assert span_value(detail, "来信人").endswith("**") and span_value(detail, "处理状态") == "已办结"
    assert span_value(detail, "满意度") == graded["satisfaction"]
    assert detail.xpath("//td[normalize-space(.)='附件：']/following-sibling::td[1]/span/a/@href").get(
        "").startswith("/jact/upload/")
    answer = detail.xpath('//div[@style="padding-bottom:15px;"]/table')
    reply = graded["replies"][0]
    assert answer.xpath("string(./tr[3]/td[2]/span)").get() == reply["text"]
    assert answer.xpath("./tr[4]/td[2]/span/a/text()").get() == reply["unit"]
    assert answer.xpath("./tr[4]/td[4]/span/text()").get() == reply["replied_at"][:19].replace("T", " ")
    pending = next(x for x in truth if x["public"] and x["status"] == "待处理")
    assert not page(detail_url(base, pending["id"])).xpath('//div[@style="padding-bottom:15px;"]')


def test_the_reply_in_a_second_jact_box_font(tmp_path: Path) -> None:
    """reply=box: the reply table is the second div.jact_box_font's (a 浙江 crawler reads it there)."""
    with replica_process(tmp_path, ["jact"], options={"jact": {"reply": "box", "letters": "30"}}) as urls:
        replied = next(x for x in control(urls["jact"], "jact/letters") if x["public"] and x["replies"])
        detail = page(detail_url(urls["jact"], replied["id"]))
    boxes = detail.css("div.jact_main div.jact_box div.jact_box_font")
    assert len(boxes) == 2 and not detail.xpath('//div[@style="padding-bottom:15px;"]')
    second = boxes[1].xpath("./table")
    assert second.xpath("string(./tr[3]/td[2])").get() == replied["replies"][0]["text"]
    assert second.xpath("./tr[4]/td[4]//text()").get() == replied["replies"][0]["replied_at"][:19].replace("T", " ")


def test_old_variant_detail_page_labels_order_and_values(pageindex: str) -> None:
    truth = control(pageindex, "jact/letters")
    graded = next(x for x in truth if x["public"] and x["satisfaction"] and x["attachments"])
    detail = page(detail_url(pageindex, graded["id"]))
    assert labels(detail) == ["信件编号", "信件标题", "来信人", "来信时间", "信件类型", "问题类别",
                              "处理状态", "信件内容", "附件", "办理单位", "回复时间", "回复内容", "满意度"]
    assert value(detail, "来信时间") == graded["posted_at"][:19].replace("T", " ")
    assert value(detail, "来信人").endswith("**") and value(detail, "处理状态") == "已办结"
    assert value(detail, "回复时间") == graded["replies"][0]["replied_at"][:19].replace("T", " ")
    assert detail.css("td.list_pd2 a::attr(href)").get("").startswith("/jact/upload/")
    assert detail.css("span#viewcount::text").get() == str(graded["views"])
    pending = next(x for x in truth if x["public"] and x["status"] == "待处理" and not x["attachments"])
    assert labels(page(detail_url(pageindex, pending["id"])))[-1] == "信件内容"


def test_utf8_build_declares_its_charset(sites: dict[str, str]) -> None:
    status, headers, body = fetch(list_url(sites["jact"], 1))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=UTF-8"
    assert b'<meta charset="utf-8">' in body and "市长信箱" in body.decode("utf-8")


def test_gbk_build_only_declares_gbk_in_the_meta_tag(sites: dict[str, str]) -> None:
    base = sites["jact_gbk"]
    status, headers, body = fetch(list_url(base, 1, sysid="7"))
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in body.decode("gbk")
    first = next(letter for letter in control(base, "jact/letters")[::-1] if letter["public"])
    status, headers, answer = fetch(f"{base}{PROXY}?startrecord=1&endrecord=5", {"sysid": "7"})
    assert headers["Content-Type"] == "text/javascript; charset=GBK"  # a script has no <meta> to say it
    assert first["title"] in answer.decode("gbk") and "mailpubdetail.do?transactId" in answer.decode("gbk")
    detail = fetch(detail_url(base, first["id"], sysid="7"))[2].decode("gbk")
    assert first["body"].split("\n")[0] in detail
    assert fetch(list_url(base, 1, sysid="6"))[0] == 404  # a column of another build


def test_advance_adds_letters_at_the_top_and_moves_statuses(fresh: str) -> None:
    before = {letter["id"]: letter for letter in control(fresh, "jact/letters")}
    summary = control(fresh, "advance", {"steps": 3})
    assert summary["clock"] == "2026-11-20T21:00:00+08:00" and len(summary["new"]) == 18
    after = {letter["id"]: letter for letter in control(fresh, "jact/letters")}
    top = [row.css("td::text").get() for row in proxy(fresh, 1, 15)[1]]
    newest = sorted(summary["new"], reverse=True)[:15]
    assert top == [after[i]["letter_no"] for i in newest] and not set(summary["new"]) & set(before)
    assert summary["status_changed"] and all(
        before[i]["status"] != after[i]["status"] for i in summary["status_changed"] if i in before)
    replied = next(i for i in summary["replied"] if after[i]["public"])
    detail = page(detail_url(fresh, replied))
    reply_text = span_value(detail, "回复内容")
    assert reply_text == after[replied]["replies"][0]["text"]
    assert reply_text.startswith("尊敬的网友您好") and after[replied]["unit"] in reply_text
    assert span_value(detail, "办理单位") == after[replied]["unit"]
    assert control(fresh, "stats")["clock"] == summary["clock"]


def test_advance_sometimes_hides_a_public_letter(fresh: str) -> None:
    hidden: list[int] = []
    for _ in range(12):
        hidden += control(fresh, "advance", {"steps": 1})["hidden"]
    assert 1 <= len(hidden) <= 10
    status, headers, _ = fetch(detail_url(fresh, hidden[0]))
    assert status == 302 and "msg=nopublic" in headers["Location"]


def test_break_changes_one_detail_page_only(fresh: str) -> None:
    ids = row_ids(proxy(fresh, 16, 30)[1])
    other_before = fetch(detail_url(fresh, ids[1]))[2]
    assert control(fresh, "jact/break", {"transactId": ids[0]}) == {"ok": True, "transactId": ids[0], "how": "layout"}
    status, _, body = fetch(detail_url(fresh, ids[0]))
    broken = Selector(text=body.decode("utf-8"))
    assert status == 200 and broken.css("div.xj_content") and not broken.css("table")
    assert fetch(detail_url(fresh, ids[1]))[2] == other_before
    with pytest.raises(urllib.error.HTTPError):
        control(fresh, "jact/break", {"transactId": 1})


def test_lean_mode_drops_three_rows_and_the_counter_in_every_layout(fresh: str) -> None:
    letter = next(x for x in control(fresh, "jact/letters") if x["public"])
    full = page(detail_url(fresh, letter["id"]))
    control(fresh, "jact/mode", {"mode": "lean"})
    lean = page(detail_url(fresh, letter["id"]))
    for label in ("来信人", "信件类型", "问题类别"):
        assert full.xpath(f'//td[normalize-space(.)="{label}："]') and not lean.xpath(f'//td[normalize-space(.)="{label}："]')
    assert span_value(lean, "来信时间") == span_value(full, "来信时间") and not lean.css("span#viewcount")


def test_stats_count_site_requests_not_control_calls(fresh: str) -> None:
    control(fresh, "stats/reset", {})
    transact_id = row_ids(proxy(fresh, 1, 57)[1])[0]
    proxy(fresh, 58, 114)
    fetch(detail_url(fresh, transact_id))
    control(fresh, "jact/letters")
    stats = control(fresh, "stats")
    assert stats["requests"] == {PROXY: 2, DETAIL: 1} and stats["total"] == 3
    assert stats["letters"] == 120 and sum(stats["by_status"].values()) == 120
    assert set(stats["by_status"]) == {"待处理", "办理中", "已回复", "已办结"}


def test_cli_options_arrive_as_strings(tmp_path: Path) -> None:
    options = {"jact": {"letters": "40", "per_page": "10", "new_per_step": "2", "list": "pageindex"}}
    with replica_process(tmp_path, ["jact"], options=options) as urls:
        first = page(list_url(urls["jact"], 1))
        assert first.css("span.pages::text").get() == "4" and len(first.css("tr.tr_css")) == 10
        assert len(control(urls["jact"], "advance", {"steps": 1})["new"]) == 2


@pytest.mark.parametrize(("options", "error"), [({"lettres": "10"}, TypeError), ({"list": "pages"}, ValueError),
                                                ({"list_cells": "7"}, ValueError), ({"reply": "below"}, ValueError),
                                                ({"detail": "table"}, ValueError), ({"per_page": "0"}, ValueError)])
def test_unknown_options_and_variants_are_refused(options: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        create("jact", 11, **options)


def test_ten_thousand_letters_build_fast_and_deterministically() -> None:
    started = time.perf_counter()
    big = create("jact", 11, letters="10000")
    assert time.perf_counter() - started < 2.0
    stats = big.stats()
    assert stats["letters"] == 10000 and 0.88 < stats["public"] / 10000 < 0.96
    assert stats["by_status"]["已办结"] > stats["by_status"]["待处理"]
    again = create("jact", 11, letters="10000")
    assert [x.to_json() for x in again.world.letters[-50:]] == [x.to_json() for x in big.world.letters[-50:]]
    assert again.advance(2) == big.advance(2)
