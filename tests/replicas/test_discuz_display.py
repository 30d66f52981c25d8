"""The Discuz replica's display options over real HTTP: each renders what the real templates render for that
setting (replicas/discuz/README.md names the source of each), and nothing renders two settings at once."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from tests.replicahost import control, replica_process

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = {"now": NOW.isoformat(), "threads_per_board": "30", "boards": "27", "tpp": "10", "ppp": "10",
        "paid_threads": "1"}
OTHER = {"version": "x5", "authoronleft": "0", "postno": "楼", "postnocustom": "楼主,沙发", "dateconvert": "0"}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`plain`: nothing set (install defaults); `other`: every display option changed."""
    folder = tmp_path_factory.mktemp("discuz-display")
    with (replica_process(folder, ["discuz"], options={"discuz": BASE}) as plain,
          replica_process(folder, ["discuz"], options={"discuz": {**BASE, **OTHER}}) as other):
        yield {"plain": plain["discuz"], "other": other["discuz"]}


def page(base: str, path: str) -> Selector:
    with urllib.request.urlopen(f"{base}/{path}", timeout=10) as response:  # noqa: S310 - loopback replica
        return Selector(text=response.read().decode("utf-8"))


def long_thread(base: str) -> dict[str, Any]:
    return max(control(base, "discuz/threads?fid=27"), key=lambda t: len(t["posts"]))


def test_install_defaults_link_the_author_in_the_left_column_only(sites: dict[str, str]) -> None:
    thread = long_thread(sites["plain"])
    shown = page(sites["plain"], f"thread-{thread['tid']}-1-1.html")
    posts = shown.css("div#postlist > div[id^=post_]")
    assert posts and all(p.css("td.pls div.pi div.authi a.xw1") and not p.css("td.plc div.authi a.xi2")
                         for p in posts)
    listed = page(sites["plain"], "forum-27-1.html")
    assert listed.css("td.by em a span[title]")  # dateconvert 1: recent dates relative, the time in the title
    assert [a.xpath("string()").get().strip() for a in shown.css("a[id^=postnum]")][:3] == ["1#", "2#", "3#"]
    assert shown.css("td.t_f[id^=postmessage_]") and not shown.css("div.t_f")
    assert shown.css('meta[name="generator"]::attr(content)').get() == "Discuz! X3.4"


def test_changed_settings_move_the_author_link_and_relabel_the_floors(sites: dict[str, str]) -> None:
    thread = long_thread(sites["other"])
    shown = page(sites["other"], f"thread-{thread['tid']}-1-1.html")
    posts = shown.css("div#postlist > div[id^=post_]")
    assert posts and all(p.css("td.plc div.authi a.xi2") and not p.css("td.pls div.pi div.authi a.xw1")
                         for p in posts)
    assert all(p.css("td.pls div#userinfo" + p.attrib["id"].removeprefix("post_") + " strong a.xi2") for p in posts)
    labels = [a.xpath("string()").get().strip() for a in shown.css("a[id^=postnum]")]
    assert labels[:3] == ["楼主", "沙发", "3楼"] and not shown.css("a[id^=postnum] sup")
    listed = page(sites["other"], "forum-27-1.html")
    assert not listed.css("td.by span[title]")  # dateconvert 0: every date absolute, to the minute
    assert all(len(text.split(":")) == 2 for text in shown.css("em[id^=authorposton]::text").getall())
    assert shown.css("div.t_f[id^=postmessage_]") and not shown.css("td.t_f")
    assert shown.css('meta[name="generator"]::attr(content)').get() == "Discuz! X5.0"


def test_later_pages_show_the_thread_author_instead_of_the_counters(sites: dict[str, str]) -> None:
    thread = long_thread(sites["plain"])
    first = page(sites["plain"], f"thread-{thread['tid']}-1-1.html")
    second = page(sites["plain"], f"thread-{thread['tid']}-2-1.html")
    assert first.css("td.pls div.hm span.xi1::text").getall() == [str(thread["views"]), str(thread["replies"])]
    assert not first.css("div#tath")
    assert not second.css("td.pls div.hm") and second.css("div#tath a::text").getall()[-1] == thread["author"]


def test_a_paid_thread_shows_its_price_in_the_list_and_a_purchase_notice_to_guests(sites: dict[str, str]) -> None:
    for base in sites.values():
        paid = next(t for t in control(base, "discuz/threads?fid=27") if t["price"])
        shown = page(base, f"thread-{paid['tid']}-1-1.html")
        opening = shown.css(f"div#post_{paid['posts'][0]['pid']}")
        assert "本主题需向作者支付" in opening.css("div.locked").xpath("string()").get()
        assert opening.css("div.locked a.viewpay") and not opening.css(".t_f")
        for reply in paid["posts"][1:]:  # the replies of a paid thread are public
            if not reply["locked"] and not reply["moderated"]:
                assert shown.css(f"div#post_{reply['pid']} .t_f")
        rows = []
        for number in range(1, 5):
            rows += page(base, f"forum-27-{number}.html").css(f"tbody#normalthread_{paid['tid']} th")
        assert rows and "售价" in rows[0].xpath("string()").get()
        assert rows[0].css("span.xw1::text").get() == str(paid["price"])


def test_moderation_lines_follow_dateconvert(sites: dict[str, str]) -> None:
    for name, relative in (("plain", True), ("other", False)):
        tid = next(t["tid"] for t in control(sites[name], "discuz/threads?fid=27") if not t["pinned"])
        control(sites[name], "discuz/moderate", {"tid": tid, "closed": True})  # closed now
        line = page(sites[name], f"thread-{tid}-1-1.html").css("div.modact")
        assert line and "本主题由" in line.xpath("string()").get()
        assert bool(line.css("span[title]")) == relative


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), replica_process(tmp_path, ["discuz"], options={"discuz": {"version": "x9"}}):
        pass


def test_a_move_leaves_a_redirect_stub_in_the_old_board(tmp_path: Path) -> None:
    """topicadmin move with type=redirect: a new thread row in the old board pointing at the real one."""
    with replica_process(tmp_path, ["discuz"], options={"discuz": {**BASE, "boards": "27,2"}}) as urls:
        base = urls["discuz"]
        thread = next(t for t in control(base, "discuz/threads?fid=27") if not t["pinned"])
        stub = control(base, "discuz/move", {"tid": thread["tid"], "fid": 2})
        assert (stub["fid"], stub["moved_to"], stub["replies"], stub["posts"]) == (27, thread["tid"], 0, [])
        assert stub["last_post_at"] == thread["last_post_at"]
        rows = []
        for number in range(1, 5):
            rows += page(base, f"forum-27-{number}.html").css(f"tbody#normalthread_{stub['tid']}")
        assert len(rows) == 1 and "移动:" in rows[0].css("th").xpath("string()").get()
        assert rows[0].css("th.lock a.xst::attr(href)").get() == f"thread-{thread['tid']}-1-1.html"
        assert rows[0].css("td.num a.xi2::text").get() == "-" and rows[0].css("td.num em::text").get() == "-"
        moved = page(base, f"forum.php?mod=viewthread&tid={stub['tid']}")  # Location: the real thread
        assert moved.css("span#thread_subject::text").get() == thread["subject"]
        assert [t["tid"] for t in control(base, "discuz/threads?fid=2") if t["tid"] == thread["tid"]]
