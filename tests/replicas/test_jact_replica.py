"""The jact 市长信箱 replica, served as a separate process and fetched over loopback HTTP."""

from __future__ import annotations

import time
import urllib.error
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
DETAIL = "/jact/front/mailpubdetail.do"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> tuple[int, Message, bytes]:
    """Status, headers and raw body, without following redirects."""
    try:
        with _OPENER.open(url, timeout=10) as response:
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


def linked_ids(selector: Selector) -> list[int]:
    hrefs = selector.css("table.list_table tr.tr_css a::attr(href)").getall()
    return [int(parse_qs(urlsplit(href).query)["transactId"][0]) for href in hrefs]


def labels(selector: Selector) -> list[str]:
    return [text.rstrip("：") for text in selector.css(
        "div.jact_main div.jact_box div.jact_box_font table tr.trbg02 td.list_pd1::text").getall()]


def value(selector: Selector, label: str) -> str:
    cell = selector.xpath(f'//tr[@class="trbg02"][td[@class="list_pd1"]="{label}："]/td[@class="list_pd2"]')
    assert cell, f"no row {label}"
    return "".join(cell.css("::text").getall())


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`python -m replicas serve --only jact,jact_gbk`, read-only for the tests that use it."""
    with replica_process(tmp_path_factory.mktemp("jact"), ["jact", "jact_gbk"]) as urls:
        yield urls


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[str]:
    """A private jact replica for tests that change its world."""
    with replica_process(tmp_path, ["jact"]) as urls:
        yield urls["jact"]


def test_same_seed_same_pages_other_seed_differs(sites: dict[str, str], tmp_path: Path) -> None:
    base = sites["jact"]
    first_id = linked_ids(page(list_url(base, 1)))[0]
    urls = [list_url(base, 1), list_url(base, 3), detail_url(base, first_id)]
    ours = [fetch(url)[2] for url in urls]
    (tmp_path / "twin").mkdir()
    (tmp_path / "other").mkdir()  # each process needs its own ports file
    with (replica_process(tmp_path / "twin", ["jact"], seed=7) as twin,
          replica_process(tmp_path / "other", ["jact"], seed=8) as other):
        assert [fetch(url.replace(base, twin["jact"]))[2] for url in urls] == ours
        assert fetch(list_url(other["jact"], 1))[2] != ours[0]


def test_paging_reaches_every_public_letter_exactly_once(sites: dict[str, str]) -> None:
    base = sites["jact"]
    truth = control(base, "jact/letters")
    url: str | None = list_url(base, 1)
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


def test_list_rows_have_six_cells_and_long_titles_are_cut_to_twenty_chars(sites: dict[str, str]) -> None:
    truth = {letter["letter_no"]: letter for letter in control(sites["jact"], "jact/letters")}
    rows = page(list_url(sites["jact"], 1)).css("table.list_table tr.tr_css")
    assert len(rows) == 15
    for row in rows:
        cells = [" ".join(td.css("::text").getall()) for td in row.xpath("./td")]
        letter = truth[cells[0]]
        assert cells[2:5] == [letter["status"], letter["posted_at"][:10], letter["unit"]]
        assert cells[5] == str(letter["views"])
        link = row.css("td a")
        if link:
            assert link.attrib["title"] == letter["title"]
            text = link.css("::text").get()
            assert text == (letter["title"] if len(letter["title"]) <= 20 else letter["title"][:20] + "…")
    assert any(len(letter["title"]) > 20 for letter in truth.values())


def test_non_public_letters_have_no_link_and_their_detail_redirects(sites: dict[str, str]) -> None:
    base = sites["jact"]
    hidden = [letter for letter in control(base, "jact/letters") if not letter["public"]]
    assert 4 <= len(hidden) <= 20  # about 8% of 120
    marked = []
    for index in range(1, 9):
        for row in page(list_url(base, index)).css("tr.tr_css"):
            if row.css("span.bgk"):
                assert row.css("span.bgk::text").get() == "[不公开]" and not row.css("a")
                marked.append(row.css("td::text").get(""))
    assert sorted(marked) == sorted(letter["letter_no"] for letter in hidden)
    status, headers, _ = fetch(detail_url(base, hidden[0]["id"]))
    assert status == 302 and headers["Location"] == f"{LIST}?sysid=6&msg=nopublic"


def test_unknown_letter_and_page_beyond_the_end(sites: dict[str, str]) -> None:
    base = sites["jact"]
    status, _, body = fetch(detail_url(base, 1))
    assert status == 404 and "不存在" in body.decode("utf-8")
    for index in (9, 10, 99):  # 120 letters fill exactly 8 pages
        beyond = page(list_url(base, index))
        assert beyond.css("table.list_table tr.tr_head") and not beyond.css("tr.tr_css")
        assert not beyond.css("a.next") and beyond.css("span.cur::text").get() == str(index)


def test_detail_page_labels_order_and_values(sites: dict[str, str]) -> None:
    base = sites["jact"]
    truth = control(base, "jact/letters")
    graded = next(x for x in truth if x["public"] and x["satisfaction"] and x["attachments"])
    detail = page(detail_url(base, graded["id"]))
    assert labels(detail) == ["信件编号", "信件标题", "来信人", "来信时间", "信件类型", "问题类别",
                              "处理状态", "信件内容", "附件", "办理单位", "回复时间", "回复内容", "满意度"]
    assert value(detail, "来信时间") == graded["posted_at"][:19].replace("T", " ")
    assert value(detail, "来信人").endswith("**") and value(detail, "处理状态") == "已办结"
    assert value(detail, "回复时间") == graded["replies"][0]["replied_at"][:19].replace("T", " ")
    assert detail.css("td.list_pd2 a::attr(href)").get("").startswith("/jact/upload/")
    assert detail.css("span#viewcount::text").get() == str(graded["views"])
    pending = next(x for x in truth if x["public"] and x["status"] == "待处理" and not x["attachments"])
    assert labels(page(detail_url(base, pending["id"])))[-1] == "信件内容"


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
    text = body.decode("gbk")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in text
    first = next(letter for letter in control(base, "jact/letters")[::-1] if letter["public"])
    assert first["title"] in text
    detail = fetch(detail_url(base, first["id"], sysid="7"))[2].decode("gbk")
    assert first["body"].split("\n")[0] in detail and "mailpubdetail.do?transactId" in text
    assert fetch(list_url(base, 1, sysid="6"))[0] == 404  # a column of another build


def test_advance_adds_letters_on_page_one_and_moves_statuses(fresh: str) -> None:
    before = {letter["id"]: letter for letter in control(fresh, "jact/letters")}
    summary = control(fresh, "advance", {"steps": 3})
    assert summary["clock"] == "2026-11-20T21:00:00+08:00" and len(summary["new"]) == 18
    after = {letter["id"]: letter for letter in control(fresh, "jact/letters")}
    top = [row.css("td::text").get() for row in page(list_url(fresh, 1)).css("tr.tr_css")]
    newest = sorted(summary["new"], reverse=True)[:15]
    assert top == [after[i]["letter_no"] for i in newest] and not set(summary["new"]) & set(before)
    assert summary["status_changed"] and all(
        before[i]["status"] != after[i]["status"] for i in summary["status_changed"] if i in before)
    replied = next(i for i in summary["replied"] if after[i]["public"])
    detail = page(detail_url(fresh, replied))
    reply_text = value(detail, "回复内容")
    assert reply_text == after[replied]["replies"][0]["text"]
    assert reply_text.startswith("尊敬的网友您好") and after[replied]["unit"] in reply_text
    assert value(detail, "办理单位") == after[replied]["unit"]
    assert control(fresh, "stats")["clock"] == summary["clock"]


def test_advance_sometimes_hides_a_public_letter(fresh: str) -> None:
    hidden: list[int] = []
    for _ in range(12):
        hidden += control(fresh, "advance", {"steps": 1})["hidden"]
    assert 1 <= len(hidden) <= 10
    status, headers, _ = fetch(detail_url(fresh, hidden[0]))
    assert status == 302 and "msg=nopublic" in headers["Location"]


def test_break_changes_one_detail_page_only(fresh: str) -> None:
    ids = linked_ids(page(list_url(fresh, 2)))
    other_before = fetch(detail_url(fresh, ids[1]))[2]
    assert control(fresh, "jact/break", {"transactId": ids[0]}) == {"ok": True, "transactId": ids[0], "how": "layout"}
    status, _, body = fetch(detail_url(fresh, ids[0]))
    broken = Selector(text=body.decode("utf-8"))
    assert status == 200 and broken.css("div.xj_content") and not broken.css("tr.trbg02")
    assert fetch(detail_url(fresh, ids[1]))[2] == other_before
    with pytest.raises(urllib.error.HTTPError):
        control(fresh, "jact/break", {"transactId": 1})


def test_stats_count_site_requests_not_control_calls(fresh: str) -> None:
    control(fresh, "stats/reset", {})
    transact_id = linked_ids(page(list_url(fresh, 1)))[0]
    page(list_url(fresh, 2))
    fetch(detail_url(fresh, transact_id))
    control(fresh, "jact/letters")
    stats = control(fresh, "stats")
    assert stats["requests"] == {LIST: 2, DETAIL: 1} and stats["total"] == 3
    assert stats["letters"] == 120 and sum(stats["by_status"].values()) == 120
    assert set(stats["by_status"]) == {"待处理", "办理中", "已回复", "已办结"}


def test_cli_options_arrive_as_strings(tmp_path: Path) -> None:
    options = {"jact": {"letters": "40", "per_page": "10", "new_per_step": "2"}}
    with replica_process(tmp_path, ["jact"], options=options) as urls:
        first = page(list_url(urls["jact"], 1))
        assert first.css("span.pages::text").get() == "4" and len(first.css("tr.tr_css")) == 10
        assert len(control(urls["jact"], "advance", {"steps": 1})["new"]) == 2


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
    with pytest.raises(TypeError):
        create("jact", 11, lettres="10")
