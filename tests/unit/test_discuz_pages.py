"""Discuz page objects, dates, options and the list scan (last post, reply count, cursor), on recorded pages and
hand-made strings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvester.config import ConfigError
from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import Case, load_case
from harvester.registry import Board
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind, Status, Topic
from spiders.discuz import pages
from spiders.discuz.dates import discuz_time, relative_time
from spiders.discuz.messages import ThreadContext, locked_posts, merged_posts, thread_message
from spiders.discuz.options import board_url, parse_options, thread_url
from spiders.discuz.scan import CURSOR_LIMIT, LastPostScan, ScanCursor, decode_cursor, encode_cursor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 25, 16, 0, 30, tzinfo=SHANGHAI)
BOARD = Board(id="27", addressee="网络问政")


def case(slug: str, name: str) -> Case:
    return load_case(FIXTURES / slug / name)


def edited(snapshot: Snapshot, old: bytes, new: bytes) -> Snapshot:
    assert old in snapshot.body
    return dataclasses.replace(snapshot, body=snapshot.body.replace(old, new))


def context(slug: str, recorded: Case, **options: object) -> ThreadContext:
    spec = parse_options({**recorded.context["options"], **options}, "test")
    return ThreadContext(slug, BOARD, recorded.context["external_id"], "http://forum/thread", spec)


# --- dates -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("刚刚", datetime(2026, 11, 25, 16, 0, 30)),
    ("25\u00a0秒前", datetime(2026, 11, 25, 16, 0, 5)),
    ("7&nbsp;分钟前".replace("&nbsp;", "\u00a0"), datetime(2026, 11, 25, 15, 53, 30)),
    ("半小时前", datetime(2026, 11, 25, 15, 30, 30)),
    ("3\u00a0小时前", datetime(2026, 11, 25, 13, 0, 30)),
    ("昨天\u00a012:30", datetime(2026, 11, 24, 12, 30)),
    ("前天 08:15", datetime(2026, 11, 23, 8, 15)),
    ("3\u00a0天前", datetime(2026, 11, 22, 0, 0)),
    ("2026-9-3 14:37", datetime(2026, 9, 3, 14, 37)),
    ("2026-9-3 14:37:05", datetime(2026, 9, 3, 14, 37, 5)),
    ("2026-9-3", datetime(2026, 9, 3)),
])
def test_relative_and_absolute_forms_resolve_against_the_fetch_time(text: str, expected: datetime) -> None:
    assert relative_time(text, NOW) == expected.replace(tzinfo=SHANGHAI)


def test_days_are_counted_in_beijing_time_whatever_zone_the_fetch_time_is_in() -> None:
    utc_now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # already 25 November, 01:00 in Beijing
    assert relative_time("昨天 23:59", utc_now) == datetime(2026, 11, 24, 23, 59, tzinfo=SHANGHAI)


def test_the_title_wins_over_the_relative_text() -> None:
    assert discuz_time("2\u00a0小时前", "2026-11-25 13:28:05", NOW) == datetime(2026, 11, 25, 13, 28, 5,
                                                                              tzinfo=SHANGHAI)


def test_a_date_only_title_takes_the_time_of_day_from_the_text() -> None:
    assert discuz_time("昨天\u00a019:10", "2026-11-24", NOW) == datetime(2026, 11, 24, 19, 10, tzinfo=SHANGHAI)
    assert discuz_time("3\u00a0天前", "2026-11-22", NOW) == datetime(2026, 11, 22, tzinfo=SHANGHAI)


def test_unreadable_dates_raise() -> None:
    with pytest.raises(ValueError, match="很久以前"):
        relative_time("很久以前", NOW)


# --- board list ------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ["discuz_demo", "discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"])
def test_board_list_puts_pinned_threads_first_and_reads_relative_last_posts(slug: str) -> None:
    recorded = case(slug, "list_first_page")
    listing = pages.parse_board(recorded.snapshot)
    pinned = [row.pinned for row in listing.rows]
    assert pinned == sorted(pinned, reverse=True) and 0 < sum(pinned) < len(pinned)
    normal = [row for row in listing.rows if not row.pinned]
    assert len(listing.rows) == 10  # tpp counts pinned threads too
    assert normal[0].last_post_at == datetime(2026, 11, 25, 13, 28, tzinfo=SHANGHAI)  # "2 小时前" + title
    assert [r.last_post_at for r in normal] == sorted((r.last_post_at for r in normal), reverse=True)
    assert all(row.type_label in {"投诉", "咨询", "建议", "求助"} for row in normal)
    assert listing.next_url is not None and "2" in listing.next_url.rsplit("/", 1)[1]


def test_board_list_without_the_thread_table_is_a_layout_change() -> None:
    recorded = case("discuz_demo", "list_first_page")
    broken = edited(recorded.snapshot, b'id="threadlisttableid"', b'id="threadlist_v2"')
    with pytest.raises(LayoutChanged, match="threadlisttableid"):
        pages.parse_board(broken)


def test_gbk_pages_are_gbk_bytes_and_parse_to_chinese() -> None:
    recorded = case("discuz_demo_gbk", "list_first_page")
    with pytest.raises(UnicodeDecodeError):
        recorded.snapshot.body.decode("utf-8")
    assert pages.parse_board(recorded.snapshot).rows[0].title.startswith("【版规】")


# --- threads ---------------------------------------------------------------------------------------
def test_edit_note_is_not_part_of_the_body() -> None:
    recorded = case("discuz_demo", "thread_waiting_edited")
    assert "本帖最后由".encode() in recorded.snapshot.body
    opening = pages.parse_thread(recorded.snapshot).posts[0]
    assert opening.floor == 1 and opening.text and "本帖最后由" not in opening.text
    assert opening.text == recorded.expected["body"]


@pytest.mark.parametrize("slug", ["discuz_demo", "discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"])
def test_locked_posts_are_skipped_and_counted(slug: str) -> None:
    recorded = case(slug, "thread_locked_post")
    page = pages.parse_thread(recorded.snapshot)
    locked = [post for post in page.posts if post.text is None]
    assert locked and locked_posts([page]) == len(locked)
    message = thread_message([page], context(slug, recorded), recorded.snapshot)
    assert {r.external_id for r in message.replies}.isdisjoint({p.pid for p in locked})
    assert len(message.replies) == len(page.posts) - 1 - len(locked)


def test_official_accounts_make_official_replies_filed_under_their_unit() -> None:
    recorded = case("discuz_demo_gbk", "thread_official_reply")
    message = thread_message([pages.parse_thread(recorded.snapshot)], context("discuz_demo_gbk", recorded),
                             recorded.snapshot)
    official = [r for r in message.replies if r.official]
    assert message.status is Status.REPLIED and official
    assert all(r.organisation and r.organisation.endswith(("局", "办公室", "委员会")) for r in official)
    assert all(r.organisation is None and r.author for r in message.replies if not r.official)
    nobody = context("discuz_demo_gbk", recorded, official_accounts=[])
    unanswered = thread_message([pages.parse_thread(recorded.snapshot)], nobody, recorded.snapshot)
    assert unanswered.status is Status.PENDING and not any(r.official for r in unanswered.replies)


def test_thread_type_is_the_kind_and_board_topics_set_the_topic() -> None:
    recorded = case("discuz_demo", "thread_official_reply")
    page = pages.parse_thread(recorded.snapshot)
    message = thread_message([page], context("discuz_demo", recorded, board_topics={"27": "城建"}), recorded.snapshot)
    assert message.kind_raw == page.type_label and message.kind is not Kind.OTHER
    assert (message.topic, message.topic_raw) == (Topic.URBAN_CONSTRUCTION, "城建")


def test_an_unknown_thread_type_is_a_layout_change_unless_configured() -> None:
    recorded = case("discuz_demo", "thread_official_reply")
    label = pages.parse_thread(recorded.snapshot).type_label
    assert label
    snapshot = edited(recorded.snapshot, f"[{label}]".encode(), "[曝光台]".encode())
    page = pages.parse_thread(snapshot)
    with pytest.raises(LayoutChanged, match="曝光台"):
        thread_message([page], context("discuz_demo", recorded), snapshot)
    message = thread_message([page], context("discuz_demo", recorded, kind_labels={"曝光台": "report"}), snapshot)
    assert message.kind is Kind.REPORT


def test_a_post_without_its_time_is_a_layout_change_naming_the_post() -> None:
    recorded = case("discuz_demo", "thread_official_reply")
    pid = recorded.expected["replies"][0]["external_id"]
    broken = edited(recorded.snapshot, f'id="authorposton{pid}"'.encode(), b'id="posted"')
    with pytest.raises(LayoutChanged, match=f"post {pid}"):
        pages.parse_thread(broken)


def test_a_thread_above_the_guest_read_level_is_not_public() -> None:
    recorded = case("discuz_demo", "thread_read_permission")
    with pytest.raises(NotPublic, match="阅读权限"):
        pages.parse_thread(recorded.snapshot)


def test_multi_page_threads_join_in_floor_order_without_duplicates() -> None:
    first, second = case("discuz_demo", "thread_multipage_p1"), case("discuz_demo", "thread_multipage_p2")
    read = [pages.parse_thread(first.snapshot), pages.parse_thread(second.snapshot)]
    assert (read[0].page, read[1].page) == (1, 2) and read[0].next_url and read[0].next_url.endswith("-2-1.html")
    floors = [post.floor for post in merged_posts(read)]
    assert floors == list(range(1, 21))
    assert merged_posts([*read, read[1]]) == merged_posts(read)  # a page read twice adds nothing
    message = thread_message(read, context("discuz_demo", first), first.snapshot)
    assert message.body == read[0].posts[0].text
    assert [r.external_id for r in message.replies] == [p.pid for p in merged_posts(read)[1:] if p.text]
    assert message.updated_at == max(post.posted_at for post in merged_posts(read))


def test_a_later_page_alone_is_not_a_thread() -> None:
    recorded = case("discuz_demo", "thread_multipage_p2")
    with pytest.raises(LayoutChanged, match="楼主"):
        thread_message([pages.parse_thread(recorded.snapshot)], context("discuz_demo", recorded),
                       recorded.snapshot)


# --- options and URLs ------------------------------------------------------------------------------
def test_urls_follow_the_configured_style() -> None:
    assert board_url("http://f", "27", 2, "rewrite") == "http://f/forum-27-2.html"
    assert board_url("http://f", "27", 2, "dynamic") == "http://f/forum.php?mod=forumdisplay&fid=27&page=2"
    assert thread_url("http://f", "9", 3, "rewrite") == "http://f/thread-9-3-1.html"
    assert thread_url("http://f", "9", 3, "dynamic") == "http://f/forum.php?mod=viewthread&tid=9&page=3"


@pytest.mark.parametrize(("options", "message"), [
    ({"offical_accounts": ["x"]}, "unknown discuz option"),
    ({"url_style": "pretty"}, "url_style"),
    ({"official_accounts": "区住建局"}, "official_accounts"),
    ({"kind_labels": {"曝光": "expose"}}, "kind_labels"),
    ({"board_topics": {"27": "火星"}}, "board_topics"),
    ({"posts_per_page": 0}, "posts_per_page"),
    ({"posts_per_page": "20"}, "posts_per_page"),
])
def test_bad_options_name_the_file_and_key(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        parse_options(options, "forum.toml")
    assert "forum.toml" in str(raised.value)


# --- last-post scan --------------------------------------------------------------------------------
def at(minute: int) -> datetime:
    return datetime(2026, 11, 25, 12, minute, tzinfo=SHANGHAI)


def test_scan_reads_from_the_cursor_minute_and_stops_below_it() -> None:
    scan = LastPostScan("27", at(30))
    assert scan.wants(at(30)) and scan.wants(at(31)) and not scan.wants(at(29))
    assert not scan.reached_cursor(at(30)) and scan.reached_cursor(at(29)) and not scan.reached_cursor(None)
    assert LastPostScan("27", None).wants(at(0))


def test_cursor_moves_to_the_newest_last_post_but_never_past_a_failed_thread() -> None:
    scan = LastPostScan("27", at(10))
    scan.seen.update({"1": at(50), "2": at(40), "3": at(20), "4": at(5)})
    for tid, moment in (("1", at(50)), ("2", at(40)), ("3", at(20))):
        scan.requested(tid, moment)
    scan.handled("1", ok=True)
    scan.handled("3", ok=True)
    scan.list_complete = True
    assert not scan.ready()
    scan.handled("2", ok=False)
    assert scan.ready() and scan.new_cursor() == at(20)
    scan.cursor_emitted = True
    assert not scan.ready()


def test_a_broken_list_never_moves_the_cursor() -> None:
    scan = LastPostScan("27", None)
    scan.seen["1"] = at(50)
    scan.list_complete, scan.list_broken = True, True
    assert not scan.ready()
    assert LastPostScan("27", at(10)).new_cursor() == at(10)


def test_a_reply_marked_waiting_for_approval_is_not_part_of_the_thread() -> None:
    """Only its author and moderators see a queued reply; should a page served to them be parsed, it is left out."""
    recorded = case("discuz_demo", "thread_official_reply")
    last = pages.parse_thread(recorded.snapshot).posts[-1]
    footer = '<div class="po hin"><div class="pob cl"><em><span class="xg1">(待审核)</span></em></div></div>'
    anchor = f'<div id="comment_{last.pid}" class="cm"></div>'.encode()
    marked = pages.parse_thread(edited(recorded.snapshot, anchor, anchor + footer.encode()))
    assert [post.pid for post in marked.posts] == [post.pid for post in pages.parse_thread(recorded.snapshot).posts
                                                   if post.pid != last.pid]
    other = pages.parse_thread(edited(recorded.snapshot, anchor, anchor + footer.replace("待审核", "置顶").encode()))
    assert other.posts[-1].pid == last.pid  # another footer mark is no reason to drop a post


def test_the_cursor_keeps_hidden_floors_next_to_the_last_post_and_reads_plain_old_values() -> None:
    moment = datetime(2026, 11, 25, 13, 28, tzinfo=SHANGHAI)
    assert decode_cursor("2026-11-25T13:28:00+08:00") == ScanCursor(moment, {})
    assert decode_cursor(None) == ScanCursor(None, {})
    value = encode_cursor(moment, {"180123": 2, "180150": 0, "180099": -1})
    assert value == "2026-11-25T13:28:00+08:00 hidden=180123:2,180099:-1"
    assert decode_cursor(value) == ScanCursor(moment, {"180123": 2, "180099": -1})
    crowded = encode_cursor(moment, {str(180000 + n): 1 for n in range(60)})
    assert len(crowded) <= CURSOR_LIMIT and "180000:1" in crowded and "180059:1" not in crowded  # newest kept


def test_a_changed_reply_count_reads_a_thread_again_whatever_its_last_post() -> None:
    scan = LastPostScan("27", at(30), hidden={"7": 1})
    assert not scan.wants(at(10))
    assert not scan.recount("7", listed=5, stored=4)  # one floor hidden by a moderator: the list counts it
    assert scan.recount("7", listed=6, stored=4)  # a reply released by a moderator
    assert scan.recount("8", listed=5, stored=4) and not scan.recount("8", listed=4, stored=4)
    scan.learn("7", counted=6, kept=4)  # read again: now two floors are hidden
    assert not scan.recount("7", listed=6, stored=4)
    scan.seen.update({"7": at(10), "9": at(40)})
    scan.compared.update({"7": at(10), "9": at(40)})
    scan.list_complete = True
    assert scan.cursor_value() == "2026-11-25T12:40:00+08:00 hidden=7:2"
    forgetful = LastPostScan("27", at(30), hidden={"7": 1})  # no longer listed where the scan looks
    forgetful.seen["9"] = at(40)
    assert forgetful.cursor_value() == "2026-11-25T12:40:00+08:00"
