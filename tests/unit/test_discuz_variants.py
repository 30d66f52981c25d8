"""One Discuz page object for every markup variant real forums show (tests/fixtures/discuz_demo*: X3.4 install
defaults in UTF-8 and GBK, X3.5 with authoronleft 0, custom floor names and dateconvert off, X5-era pages with the
body in div.t_f and a 楼 suffix): the same thread reads into the same message, and what no variant explains fails
loudly, naming what is missing."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import Case, load_case
from harvester.registry import Board
from harvester.timeutil import SHANGHAI
from spiders.discuz import pages
from spiders.discuz.messages import ThreadContext, thread_message
from spiders.discuz.options import parse_options
from spiders.pageindex import parse_recorded

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEFAULT = "discuz_demo"  # install defaults: X3.4, authoronleft 1, postno '#', postnocustom '', dateconvert 1
VARIANTS = ["discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"]
MINUTES = {"discuz_demo_x35"}  # dateconvert 0: every date as 'Y-n-j H:i', no seconds
THREAD_CASES = ["thread_official_reply", "thread_locked_post", "thread_waiting_edited", "thread_closed",
                "thread_paid", "thread_read_permission"]


def case(slug: str, name: str) -> Case:
    return load_case(FIXTURES / slug / name)


def edited(snapshot: Snapshot, old: str, new: str, count: int = -1) -> Snapshot:
    body = snapshot.body.decode(snapshot.encoding or "utf-8")
    assert old in body, old
    return dataclasses.replace(snapshot, body=body.replace(old, new, count).encode("utf-8"))


def comparable(parsed: dict[str, Any], minutes: bool) -> dict[str, Any]:
    """A parsed thread without what legitimately differs per build: the URL (rewrite vs dynamic), official
    units (the GBK platform files answers under the signing unit), seconds when the site hides them."""
    data = json.loads(json.dumps(parsed, ensure_ascii=False))
    data.pop("url", None)

    def clip(value: str) -> str:
        return datetime.fromisoformat(value).replace(second=0).isoformat() if minutes else value

    for key in ("posted_at", "updated_at"):
        if data.get(key):
            data[key] = clip(data[key])
    for reply in data.get("replies", []):
        reply.pop("organisation", None)
        reply["replied_at"] = clip(reply["replied_at"])
    return data


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", THREAD_CASES)
def test_every_variant_reads_into_the_same_message(variant: str, name: str) -> None:
    ours, theirs = case(DEFAULT, name), case(variant, name)
    assert theirs.snapshot.body != ours.snapshot.body
    minutes = variant in MINUTES
    got = parse_recorded("discuz", "thread", theirs.snapshot, ours.context)
    assert comparable(got, minutes) == comparable(ours.expected, minutes)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_reads_the_pages_of_a_long_thread_alike(variant: str) -> None:
    for name in ("thread_multipage_p1", "thread_multipage_p2"):
        ours, theirs = case(DEFAULT, name).expected, case(variant, name).expected
        drop = {"next_url"} | ({"posted_at"} if variant in MINUTES else set())
        assert [{k: v for k, v in post.items() if k not in drop} for post in theirs["posts"]] == [
            {k: v for k, v in post.items() if k not in drop} for post in ours["posts"]]
        assert (theirs["views"], theirs["replies"], theirs["page"]) == (ours["views"], ours["replies"], ours["page"])


# --- authoronleft --------------------------------------------------------------------------------------------
def test_the_default_forum_links_the_author_only_in_the_left_column() -> None:
    """authoronleft = 1 (install default): td.pls div.authi a.xw1, no a.xi2 in the post header."""
    recorded = case(DEFAULT, "thread_official_reply")
    text = recorded.snapshot.body.decode()
    assert 'class="xw1"' in text and '<div class="authi"><img' in text
    header_links = [line for line in text.splitlines() if 'target="_blank" class="xi2"' in line and "<strong>" not in line]
    assert header_links == []
    opening = pages.parse_thread(recorded.snapshot).posts[0]
    assert opening.author == recorded.expected["author"]


def test_authoronleft_off_links_the_author_in_the_header_only() -> None:
    recorded = case("discuz_demo_x5", "thread_official_reply")
    assert b'class="xw1"' not in recorded.snapshot.body
    assert pages.parse_thread(recorded.snapshot).posts[0].author == recorded.expected["author"]


def test_a_post_without_any_author_link_is_a_layout_change() -> None:
    """The hidden profile card (div#userinfo<pid> strong a.xi2) is no author link: it is there either way."""
    recorded = case(DEFAULT, "thread_official_reply")
    broken = edited(recorded.snapshot, 'target="_blank" class="xw1"', 'target="_blank" class="xw9"')
    assert b"<strong><a href=" in broken.body
    with pytest.raises(LayoutChanged, match="author"):
        pages.parse_thread(broken)


def test_two_different_author_links_on_one_post_are_a_layout_change() -> None:
    recorded = case(DEFAULT, "thread_official_reply")
    page = pages.parse_thread(recorded.snapshot)
    pid, author = page.posts[0].pid, page.posts[0].author
    broken = edited(recorded.snapshot, f'<em id="authorposton{pid}">',
                    f'<a href="home.php?mod=space&amp;uid=1" class="xi2">别人</a>\n<em id="authorposton{pid}">', 1)
    assert author != "别人"
    with pytest.raises(LayoutChanged, match="2 author names"):
        pages.parse_thread(broken)


def test_anonymous_posts_and_deleted_members_have_no_link_but_a_name() -> None:
    """viewthread_node.htm: an anonymous post shows 匿名 in the left column (no link); a deleted member's name is
    followed by 该用户已被删除."""
    recorded = case(DEFAULT, "thread_official_reply")
    page = pages.parse_thread(recorded.snapshot)
    first, second = page.posts[0], page.posts[1]
    link = '<div class="pi"><div class="authi"><a href="space-uid-{uid}.html" target="_blank" class="xw1">{name}</a></div></div>'
    body = recorded.snapshot.body.decode()
    uids = {post.author: body.split(f'class="xw1">{post.author}<')[0].rsplit("space-uid-", 1)[1].split(".")[0]
            for post in (first, second)}
    body = body.replace(link.format(uid=uids[first.author], name=first.author), '<div class="pi">匿名</div>', 1)
    body = body.replace(link.format(uid=uids[second.author], name=second.author),
                        f'<div class="pi">{second.author} <em>该用户已被删除</em></div>', 1)
    read = pages.parse_thread(dataclasses.replace(recorded.snapshot, body=body.encode()))
    assert (read.posts[0].author, read.posts[1].author) == ("匿名", second.author)


# --- page 2 and later ----------------------------------------------------------------------------------------
def test_later_pages_have_div_tath_and_no_counters() -> None:
    recorded = case(DEFAULT, "thread_multipage_p2")
    assert b'id="tath"' in recorded.snapshot.body and "查看:".encode() not in recorded.snapshot.body
    page = pages.parse_thread(recorded.snapshot)
    assert page.page == 2 and page.views is None and page.replies is None and len(page.posts) == 10
    first = pages.parse_thread(case(DEFAULT, "thread_multipage_p1").snapshot)
    message = thread_message([first, page], context(DEFAULT), recorded.snapshot)
    assert message.views == first.views  # page 1's counter, not the missing one of page 2


def test_a_later_page_without_tath_or_counters_is_a_layout_change() -> None:
    recorded = case(DEFAULT, "thread_multipage_p2")
    with pytest.raises(LayoutChanged, match="div#tath"):
        pages.parse_thread(edited(recorded.snapshot, 'id="tath"', 'id="thread_author"'))


def test_page_one_without_its_counters_is_a_layout_change() -> None:
    recorded = case(DEFAULT, "thread_multipage_p1")
    with pytest.raises(LayoutChanged, match="counters"):
        pages.parse_thread(edited(recorded.snapshot, '<span class="xi1">', '<span class="xi9">'))


def context(slug: str) -> ThreadContext:
    recorded = case(slug, "thread_multipage_p1")
    return ThreadContext(slug, Board(id="27", addressee="网络问政"), recorded.context["external_id"],
                         "http://forum/thread", parse_options(recorded.context["options"], "test"))


# --- floors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("slug", "shown"), [(DEFAULT, "<em>1</em><sup>#</sup>"), ("discuz_demo_x35", ">楼主<"),
                                             ("discuz_demo_x5", "<em>1</em>楼")])
def test_floor_labels_of_each_variant_read_as_numbers(slug: str, shown: str) -> None:
    recorded = case(slug, "thread_multipage_p1")
    assert shown.encode() in recorded.snapshot.body
    assert [post.floor for post in pages.parse_thread(recorded.snapshot).posts] == list(range(1, 11))


def test_a_reply_pinned_to_the_top_keeps_its_floor() -> None:
    """viewthread_node.htm, isstick: <img settop.png> 来自 N# (postno without its <sup>)."""
    recorded = case(DEFAULT, "thread_multipage_p1")
    pinned = edited(recorded.snapshot, "<em>5</em><sup>#</sup>",
                    '<img src ="static/image/common/settop.png" title="置顶回复" class="vm" /> 来自 5#')
    assert [post.floor for post in pages.parse_thread(pinned).posts] == list(range(1, 11))


def test_a_floor_name_of_the_sites_own_is_numbered_by_position_on_page_one_only() -> None:
    first = case("discuz_demo_x35", "thread_multipage_p1")
    renamed = edited(first.snapshot, ">沙发<", ">二楼<")
    assert [post.floor for post in pages.parse_thread(renamed).posts][:3] == [1, 2, 3]
    second = case(DEFAULT, "thread_multipage_p2")
    named = edited(second.snapshot, "<em>11</em><sup>#</sup>", "二楼")
    with pytest.raises(LayoutChanged, match="floor label"):
        pages.parse_thread(named)


def test_a_rush_reply_threads_deleted_floor_placeholder_is_no_post() -> None:
    """forum_viewthread.php keeps position gaps only in rush-reply threads, drawn as 无效楼层 without a post link."""
    recorded = case(DEFAULT, "thread_multipage_p1")
    read = pages.parse_thread(recorded.snapshot)
    gap = (f'<div id="post_{int(read.posts[1].pid) - 1}">\n<table id="pid{int(read.posts[1].pid) - 1}" cellspacing="0" '
           'cellpadding="0"><tbody><tr><td class="pls"></td><td class="plc"><div class="pi"><strong><a><em>2</em>'
           '<sup>#</sup></a></strong></div><div class="pct">无效楼层，该帖已经被删除</div></td></tr></tbody></table>\n</div>\n')
    with_gap = edited(recorded.snapshot, f'<div id="post_{read.posts[1].pid}">', gap + f'<div id="post_{read.posts[1].pid}">')
    assert pages.parse_thread(with_gap).posts == read.posts


# --- bodies and notices --------------------------------------------------------------------------------------
def test_x5_pages_keep_the_body_in_a_div() -> None:
    recorded = case("discuz_demo_x5", "thread_official_reply")
    assert b'<div class="t_f" id="postmessage_' in recorded.snapshot.body and b'td class="t_f"' not in recorded.snapshot.body
    assert pages.parse_thread(recorded.snapshot).posts[0].text == recorded.expected["body"]


def test_a_post_with_neither_body_nor_notice_names_both() -> None:
    recorded = case("discuz_demo_x5", "thread_official_reply")
    with pytest.raises(LayoutChanged, match=r"neither \.t_f"):
        pages.parse_thread(edited(recorded.snapshot, '<div class="t_f" id="postmessage_', '<div class="t_x" id="pm_'))


@pytest.mark.parametrize("slug", [DEFAULT, "discuz_demo_x35", "discuz_demo_x5"])
def test_a_paid_thread_is_not_a_moderators_hiding(slug: str) -> None:
    recorded = case(slug, "thread_paid")
    assert "本主题需向作者支付".encode() in recorded.snapshot.body
    opening = pages.parse_thread(recorded.snapshot).posts[0]
    assert (opening.text, opening.locked) == (None, "paid")
    with pytest.raises(NotPublic, match="sold for a price"):
        parse_thread_message(recorded)


def test_a_paid_threads_free_part_is_not_taken_for_the_whole_body() -> None:
    """X5 pages seen in the wild put a free part (div.t_f) before the purchase notice."""
    recorded = case("discuz_demo_x5", "thread_paid")
    pid = pages.parse_thread(recorded.snapshot).posts[0].pid
    free = edited(recorded.snapshot, '<div class="locked">\n<a href="javascript:;" class="y viewpay"',
                  f'<div id="postmessage_{pid}" class="t_f">免费部分</div>\n<div class="locked">\n'
                  '<a href="javascript:;" class="y viewpay"')
    assert pages.parse_thread(free).posts[0].locked == "paid"


def test_moderator_hidden_posts_say_so() -> None:
    recorded = case(DEFAULT, "thread_locked_post")
    assert {post.locked for post in pages.parse_thread(recorded.snapshot).posts} - {None} <= {"moderator", "banned"}
    assert any(post.locked for post in pages.parse_thread(recorded.snapshot).posts)


@pytest.mark.parametrize(("notice", "why"), [("此帖仅作者可见", "author_only"),
                                             ("本帖为密码帖 ，请输入密码", "password")])
def test_other_notices_discuz_prints_instead_of_a_body_are_known(notice: str, why: str) -> None:
    recorded = case(DEFAULT, "thread_locked_post")
    body = recorded.snapshot.body.decode()
    for shown in ("提示: <em>该帖被管理员或版主屏蔽</em>", "提示: <em>作者被禁止或删除 内容自动屏蔽</em>"):
        body = body.replace(shown, notice)
    read = pages.parse_thread(dataclasses.replace(recorded.snapshot, body=body.encode()))
    assert {post.locked for post in read.posts} == {None, why}


def test_a_notice_no_variant_shows_is_a_layout_change() -> None:
    recorded = case(DEFAULT, "thread_locked_post")
    body = recorded.snapshot.body.decode()
    broken = body.replace("该帖被管理员或版主屏蔽", "此楼层已被折叠").replace("作者被禁止或删除 内容自动屏蔽", "此楼层已被折叠")
    with pytest.raises(LayoutChanged, match="此楼层已被折叠"):
        pages.parse_thread(dataclasses.replace(recorded.snapshot, body=broken.encode()))


def parse_thread_message(recorded: Case) -> Any:
    return thread_message([pages.parse_thread(recorded.snapshot)], context(DEFAULT), recorded.snapshot)


# --- list marks ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", [DEFAULT, "discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"])
def test_a_price_is_not_a_read_permission(slug: str) -> None:
    priced = [row for row in pages.parse_board(case(slug, "list_price_mark").snapshot).rows if row.price]
    assert priced and all(row.readperm == 0 and row.price == 20 for row in priced)
    limited = [row for row in pages.parse_board(case(slug, "list_readperm_mark").snapshot).rows if row.readperm]
    assert limited and all(row.readperm == 30 and row.price == 0 for row in limited)


@pytest.mark.parametrize("slug", [DEFAULT, "discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"])
def test_a_moved_threads_stub_names_the_real_thread_and_has_no_counters(slug: str) -> None:
    recorded = case(slug, "list_moved_stub")
    assert "移动:" in recorded.snapshot.text
    stubs = [row for row in pages.parse_board(recorded.snapshot).rows if row.moved_to]
    assert len(stubs) == 1 and stubs[0].moved_to != stubs[0].tid
    assert (stubs[0].replies, stubs[0].views, stubs[0].closed) == (0, 0, True)


def test_counters_of_dashes_without_the_move_mark_are_a_layout_change() -> None:
    recorded = case(DEFAULT, "list_moved_stub")
    with pytest.raises(LayoutChanged, match="expected a number"):
        pages.parse_board(edited(recorded.snapshot, "移动:", ""))


def test_a_moved_stub_whose_link_names_no_thread_is_a_layout_change() -> None:
    recorded = case(DEFAULT, "list_moved_stub")
    stub = next(row for row in pages.parse_board(recorded.snapshot).rows if row.moved_to)
    broken = edited(recorded.snapshot, f'移动:<a href="thread-{stub.moved_to}-1-1.html"', '移动:<a href="javascript:;"')
    with pytest.raises(LayoutChanged, match="moved thread"):
        pages.parse_board(broken)


# --- moderation lines ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("slug", "shown"), [(DEFAULT, '<span title="2026-11-23 19:32">前天&nbsp;19:32</span>'),
                                             ("discuz_demo_x35", "于 2026-11-23 19:32 关闭")])
def test_moderation_lines_close_the_thread_with_relative_or_absolute_dates(slug: str, shown: str) -> None:
    recorded = case(slug, "thread_closed")
    assert shown.encode() in recorded.snapshot.body
    assert pages.parse_thread(recorded.snapshot).closed is True


@pytest.mark.parametrize("when", ["3&nbsp;小时前", "昨天&nbsp;12:30", "3&nbsp;天前", "半小时前"])
def test_moderation_lines_read_every_relative_form(when: str) -> None:
    recorded = case("discuz_demo_x35", "thread_closed")
    snapshot = edited(recorded.snapshot, "于 2026-11-23 19:32 关闭", f"于 {when} 关闭")
    assert pages.parse_thread(snapshot).closed is True
    reopened = edited(snapshot, f"于 {when} 关闭", f"于 {when} 打开")
    assert pages.parse_thread(reopened).closed is False


def test_an_unreadable_moderation_line_is_a_layout_change_not_a_silent_open_thread() -> None:
    recorded = case("discuz_demo_x35", "thread_closed")
    with pytest.raises(LayoutChanged, match="moderation line"):
        pages.parse_thread(edited(recorded.snapshot, "于 2026-11-23 19:32 关闭", "于 很久以前 关闭"))


def test_fixtures_are_frozen_at_the_recorded_now() -> None:
    assert case(DEFAULT, "thread_closed").snapshot.fetched_at == datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
