"""领导留言板 signing, answer classification, page objects and options, on recorded answers and made-up ones."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harvester.config import ConfigError
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import Case, load_case
from harvester.timeutil import from_unix
from harvester.vocab import Kind, Status, Topic
from spiders.people import api
from spiders.people.api import Answer
from spiders.people.content import ContentContext, parse_content
from spiders.people.guard import backoff_s
from spiders.people.lookback import LookbackScan
from spiders.people.options import PeopleOptions, parse_options
from spiders.people.paging import PageSizes, list_ended
from spiders.people.session import ShellUnreadable, SiteRelease
from spiders.people.signing import SignedCall, compact, content_call, list_call, sign
from spiders.scan import BoardScan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "people_demo"
REAL_APP_CODE = "PC42ce3bfa4980a9"  # inline on the real pages in 2026
NOW = datetime(2026, 6, 6, 4, 0, tzinfo=UTC)


def case(name: str) -> Case:
    return load_case(FIXTURES / name)


def answer_of(status: int, body: bytes) -> Answer:
    return api.answer(Snapshot(url="http://site/v1/threads/content", status=status, body=body, fetched_at=NOW))


def edited(snapshot: Snapshot, change: Any) -> Snapshot:
    """The recorded answer with its JSON changed by `change(data)`."""
    data = json.loads(snapshot.body)
    change(data)
    return dataclasses.replace(snapshot, body=json.dumps(data, ensure_ascii=False).encode())


def context(recorded: Case, **options: Any) -> ContentContext:
    spec = parse_options({**recorded.context["options"], **options}, "test")
    return ContentContext("people_demo", "http://site", recorded.context["addressees"], spec)


def main_entry(data: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in data["resultData"]["contentList"] if e["dataType"] == 1)


# --- signing ---------------------------------------------------------------------------------------
def test_signatures_match_the_ones_captured_from_the_real_site() -> None:
    df = list_call("559", "")
    assert df.param == '{"fid":"559","showUnAnswer":1,"typeId":5,"lastItem":"","position":0,"rows":10,"orderType":2}'
    assert sign(df.path, df.param, REAL_APP_CODE) == "9f41eaf88787382c14da461be7079546"
    bw = '{"fid":5050,"showUnAnswer":1,"typeId":5,"lastItem":"","position":1,"rows":10,"orderType":2}'
    assert sign("/v1/threads/list/bw", bw, REAL_APP_CODE) == "22e8ff231248d4e2774c9d1b523afdf9"
    assert sign("/v1/forum/getTopBwForums", "{}", REAL_APP_CODE) == "3be29e33cb708b79a3802f663cf8f16e"
    # fid 593 with "position":"0" sent as a string, and one message, each captured by another public script
    df_593 = '{"fid":"593","showUnAnswer":1,"typeId":5,"lastItem":"","position":"0","rows":10,"orderType":2}'
    assert sign("/v1/threads/list/df", df_593, REAL_APP_CODE) == "a7db9282e68f7ccceff0785b444c2194"
    assert sign(content_call("14592777").path, content_call("14592777").param,
                REAL_APP_CODE) == "18d497371f56c631390ca2f9a196b130"


def test_the_body_carries_the_signed_param_string_byte_for_byte() -> None:
    call = SignedCall("/v2/threads/search?sortType=0", compact({"keywords": "物业 噪音", "page": 1}))
    assert call.param == '{"keywords":"物业 噪音","page":1}'  # raw Chinese, no spaces after separators
    body = json.loads(call.body(REAL_APP_CODE))
    assert list(body) == ["appCode", "token", "signature", "param"]
    assert body["param"] == call.param and body["token"] == ""
    assert body["signature"] == sign("/v2/threads/search", call.param, REAL_APP_CODE)  # query not signed
    assert content_call("25445483").param == '{"tid":"25445483","fromTrash":0}'
    assert list_call("5050", "25400100", "bw", 20).path == "/v1/threads/list/bw"
    assert json.loads(list_call("5050", "25400100", "bw", 20).param)["position"] == 1


# --- answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "body", "expected"), [
    (429, b"Too Many Requests", Answer.THROTTLED),
    (403, "<h1>访问被拦截</h1>".encode(), Answer.THROTTLED),
    (200, b"", Answer.THROTTLED),
    (200, b"  \n", Answer.THROTTLED),
    (200, '{"code":"SN0006","msg":"数据格式错误"}'.encode(), Answer.REJECTED),
    (200, b'{"code":"TH0001","resultData":null}', Answer.NOT_FOUND),
    (200, b'{"code":0,"msg":"ok","resultData":{"data":[],"lastItem":""}}', Answer.OK),
    (200, b'{"code":"XX0001","msg":"?"}', Answer.ERROR),
    (200, b'{"result":"success","success":true,"responseData":[]}', Answer.OK),  # queryThreadsList
    (200, '{"result":"fail","success":false,"resultDesc":"参数错误"}'.encode(), Answer.ERROR),
    (502, b"Bad Gateway", Answer.ERROR),
])
def test_answers_are_told_apart_by_status_and_code(status: int, body: bytes, expected: Answer) -> None:
    assert answer_of(status, body) is expected


# --- shell and lists -------------------------------------------------------------------------------
def test_the_shell_gives_the_app_code_and_a_shell_without_it_is_a_layout_change() -> None:
    shell = case("shell_list").snapshot
    assert api.parse_shell(shell) == api.ShellPage(REAL_APP_CODE, case("shell_list").expected["script"])
    renamed = dataclasses.replace(shell, body=shell.body.replace(b"SITE_CONFIG", b"APP_SETTINGS"))
    with pytest.raises(LayoutChanged, match="appCode"):
        api.parse_shell(renamed)


def test_a_list_page_gives_ten_items_newest_first_and_the_next_cursor() -> None:
    listing = api.parse_list(case("list_first_page").snapshot)
    tids = [item.tid for item in listing.items]
    assert len(tids) == 10 and tids == sorted(tids, reverse=True)
    assert listing.next_cursor == str(tids[-1]) and listing.oldest == tids[-1]
    assert {item.state for item in listing.items} <= {"待回复", "办理中", "已办理"}


def test_both_list_envelopes_with_or_without_a_last_item_field_read_the_same() -> None:
    signed, bare, form = (api.parse_list(case(name).snapshot) for name in (
        "list_first_page", "list_without_last_item", "list_form_envelope"))
    assert "lastItem" in json.loads(case("list_first_page").snapshot.body)["resultData"]
    assert list(json.loads(case("list_without_last_item").snapshot.body)["resultData"]) == ["data"]
    assert set(json.loads(case("list_form_envelope").snapshot.body)) == {"result", "success", "responseData"}
    assert signed == bare == form and len(signed.items) == 10
    assert all(item.published is not None for item in form.items)  # threadsCheckTime is there too


def test_the_cursor_field_is_not_what_pages() -> None:
    """A lastItem field that says "" (or anything) changes nothing: the next call starts below the last item."""
    recorded = case("list_first_page").snapshot
    lying = edited(recorded, lambda d: d["resultData"].update(lastItem=""))
    assert api.parse_list(lying) == api.parse_list(recorded)
    assert api.parse_list(lying).next_cursor == str(api.parse_list(recorded).items[-1].tid)


@pytest.mark.parametrize(("name", "change", "words"), [
    ("list_first_page", lambda d: d["resultData"].pop("data"), "resultData.data"),
    ("list_form_envelope", lambda d: d.update(responseData={"tid": 1}), "responseData is not a list"),
    ("list_form_envelope", lambda d: d.update(result="fail", success=False, resultDesc="参数错误"), "参数错误"),
    ("list_form_envelope", lambda d: d.update(responseData=d.pop("responseData"), result=None), "result"),
    ("list_form_envelope", lambda d: d.update(rows=d.pop("responseData")), "neither resultData.data"),
])
def test_a_list_no_envelope_explains_is_a_layout_change(name: str, change: Any, words: str) -> None:
    with pytest.raises(LayoutChanged, match=words):
        api.parse_list(edited(case(name).snapshot, change))


# --- when a list has ended -------------------------------------------------------------------------
def test_a_short_page_ends_the_list_once_the_site_has_filled_a_bigger_one() -> None:
    assert list_ended(0, 30, 0) and list_ended(0, None, 30)  # an empty page always ends it
    assert not list_ended(30, 30, 0) and not list_ended(30, 30, 30)  # a full page never does
    assert list_ended(7, 30, 30) and list_ended(7, 10, 10)  # shorter than asked and than a page seen before
    assert not list_ended(10, 30, 0)  # the first page: 10 of 30 may be the site's cap, one more call tells
    assert not list_ended(10, 30, 10) and list_ended(9, 30, 10)  # a site capping at 10: only a page below 10
    assert not list_ended(7, None, 30)  # rows unknown (the bundle asked): only an empty page or the bundle ends it


def test_page_sizes_are_learnt_per_list_api_as_pages_come() -> None:
    sizes = PageSizes()
    assert [sizes.ended("df", n, 30) for n in (10, 10, 4)] == [False, False, True]  # a site that caps at 10
    assert sizes.ended("form", 4, 30) is False  # the form API's pages are its own
    assert sizes.ended("df", 30, 30) is False and sizes.largest == {"df": 30, "form": 4}


def test_a_recorded_short_last_page_ends_the_list() -> None:
    listing = api.parse_list(case("list_short_last_page").snapshot)
    full = api.parse_list(case("list_first_page").snapshot)
    assert 0 < len(listing.items) < len(full.items) == 10
    assert list_ended(len(listing.items), 10, len(full.items))


def test_list_items_carry_their_publication_time_else_their_posting_time() -> None:
    recorded = case("list_first_page").snapshot
    raw = json.loads(recorded.body)["resultData"]["data"]
    listing = api.parse_list(recorded)
    assert [item.published for item in listing.items] == [from_unix(e["threadsCheckTime"]) for e in raw]
    assert any(e["threadsCheckTime"] != e["dateline"] for e in raw)  # approval comes after posting
    no_check = edited(recorded, lambda d: [e.pop("threadsCheckTime") for e in d["resultData"]["data"]])
    assert [item.published for item in api.parse_list(no_check).items] == [from_unix(e["dateline"]) for e in raw]
    bare = edited(recorded, lambda d: [e.pop(key) for e in d["resultData"]["data"] for key in api.PUBLISHED_KEYS])
    assert {item.published for item in api.parse_list(bare).items} == {None}
    garbled = edited(recorded, lambda d: d["resultData"]["data"][0].update(threadsCheckTime="昨天"))
    [rejected] = api.parse_list(garbled).rejected  # that item alone: the others still read
    assert "threadsCheckTime" in rejected.reason and rejected.tid == raw[0]["tid"]
    with pytest.raises(LayoutChanged, match="threadsCheckTime"):  # every item garbled: the layout changed
        api.parse_list(edited(recorded, lambda d: [e.update(threadsCheckTime="昨天") for e in d["resultData"]["data"]]))


# --- the look-back below the cursor ----------------------------------------------------------------
HOUR = timedelta(hours=1)


def page(*items: tuple[int, float | None]) -> api.ListPage:
    """A list page of (tid, hours after NOW it was published) pairs, newest first."""
    return api.ListPage(tuple(api.ListItem(tid, "标题", "待回复", False, None if hours is None else NOW + hours * HOUR)
                              for tid, hours in items))


def test_paging_goes_on_below_the_cursor_while_messages_were_published_within_the_lag() -> None:
    scan = LookbackScan("559", old_cursor=100, lag=timedelta(hours=72))
    assert not scan.paging_done(page((120, 200), (110, 190)))  # above the cursor: as every scan
    assert not scan.paging_done(page((100, 180), (90, 129)))  # 129 h is within 72 h of the newest (200 h)
    assert scan.paging_done(page((80, 140), (70, 127)))  # a late one (140 h) on the page does not matter
    assert scan.lookback_pages == 1 and scan.latest_published == NOW + 200 * HOUR


def test_the_newest_publication_seen_sets_the_horizon_even_on_a_deeper_page() -> None:
    scan = LookbackScan("559", old_cursor=100, lag=timedelta(hours=10))
    assert not scan.paging_done(page((101, 50), (99, 45)))
    assert not scan.paging_done(page((98, 60), (97, 55)))  # a late one: newest publication is now 60 h
    assert scan.paging_done(page((96, 49), (95, 49)))
    assert scan.latest_published == NOW + 60 * HOUR


def test_without_a_lag_or_publication_times_paging_stops_at_the_cursor_as_before() -> None:
    for scan in (LookbackScan("559", 100, lag=timedelta(0)), BoardScan("559", 100)):
        assert scan.reached_cursor(page((100, 1), (99, 1)).oldest)
    assert LookbackScan("559", 100, lag=timedelta(0)).paging_done(page((100, 1), (99, 1)))
    assert LookbackScan("559", 100, lag=timedelta(hours=72)).paging_done(page((100, None), (99, None)))
    first_run = LookbackScan("559", None, lag=timedelta(hours=72))
    assert not first_run.paging_done(page((2, 1), (1, -1000)))  # no cursor: the whole board is read
    assert first_run.below_cursor(1) is False and LookbackScan("559", 100).below_cursor(100)


def test_the_demo_definition_looks_back_72_hours_and_0_turns_it_off() -> None:
    assert PeopleOptions().publication_lag == parse_options({}, "t").publication_lag == timedelta(hours=72)
    assert parse_options({"publication_lag_hours": 0}, "t").publication_lag == timedelta(0)


# --- content ---------------------------------------------------------------------------------------
def test_the_body_is_the_full_text_never_the_cut_list_text() -> None:
    recorded = case("content_pending_long")
    message = parse_content(recorded.snapshot, context(recorded))
    assert len(message.body) > 150 and not message.body.endswith("...")
    assert (message.status, message.replies, message.updated_at) == (Status.PENDING, (), None)


def test_replies_are_chosen_by_data_type_and_put_in_time_order() -> None:
    recorded = case("content_replies_listed_first")
    data = json.loads(recorded.snapshot.body)
    assert [e["dataType"] for e in data["resultData"]["contentList"]] == [4, 4, 1]  # replies first, newest first
    message = parse_content(recorded.snapshot, context(recorded))
    assert message.body == main_entry(data)["content"]
    times = [r.replied_at for r in message.replies]
    assert len(times) == 2 and times == sorted(times) and message.updated_at == times[-1]
    assert all(r.official and r.organisation and r.external_id for r in message.replies)


def test_grades_region_and_labels_are_mapped() -> None:
    recorded = case("content_handled_graded")
    message = parse_content(recorded.snapshot, context(recorded))
    entry = main_entry(json.loads(recorded.snapshot.body))
    assert message.satisfaction == {"manner": entry["gradeManner"], "speed": entry["gradeSpeed"]}
    assert message.region == entry["from"].strip() and not entry["from"][0].isalnum()
    assert (message.status, message.kind_raw, message.topic_raw) == (Status.REPLIED, entry["typeName"],
                                                                     entry["domainName"])
    assert message.posted_at == datetime.fromtimestamp(entry["dateline"], UTC)


def test_an_unknown_type_label_is_a_layout_change_unless_the_definition_names_it() -> None:
    recorded = case("content_handled_graded")
    relabelled = edited(recorded.snapshot, lambda d: main_entry(d).update(typeName="两会", domainName="征集"))
    with pytest.raises(LayoutChanged, match="征集"):
        parse_content(relabelled, context(recorded))
    message = parse_content(relabelled, context(recorded, topic_labels={"征集": "other"}))
    assert (message.kind, message.topic, message.kind_raw) == (Kind.SUGGEST, Topic.OTHER, "两会")


def _without_message(data: dict[str, Any]) -> None:
    main_entry(data)["dataType"] = 2


def _with_two_messages(data: dict[str, Any]) -> None:
    data["resultData"]["contentList"].append(dict(main_entry(data)))


@pytest.mark.parametrize("change", [_without_message, _with_two_messages])
def test_a_content_answer_without_exactly_one_message_entry_is_a_layout_change(change: Any) -> None:
    recorded = case("content_in_progress")
    with pytest.raises(LayoutChanged, match="dataType 1"):
        parse_content(edited(recorded.snapshot, change), context(recorded))


def without_data_type(data: dict[str, Any]) -> None:
    for entry in data["resultData"]["contentList"]:
        entry.pop("dataType")


def create_dateline(data: dict[str, Any]) -> None:
    main_entry(data)["createDateline"] = main_entry(data).pop("dateline")


def same_message(message: Any) -> Any:
    return dataclasses.replace(message, source=None)


@pytest.mark.parametrize("changes", [[create_dateline], [without_data_type], [create_dateline, without_data_type]])
def test_create_dateline_and_entries_without_data_type_read_as_the_same_message(changes: list[Any]) -> None:
    recorded = case("content_replies_listed_first")  # replies first: order tells nothing
    variant = recorded.snapshot
    for change in changes:
        variant = edited(variant, change)
    expected = parse_content(recorded.snapshot, context(recorded))
    assert same_message(parse_content(variant, context(recorded))) == same_message(expected)
    assert len(expected.replies) == 2


@pytest.mark.parametrize("name", ["content_create_dateline", "content_without_data_type",
                                  "content_create_dateline_without_data_type"])
def test_recorded_variants_carry_what_they_say(name: str) -> None:
    entries = json.loads(case(name).snapshot.body)["resultData"]["contentList"]
    assert ("dataType" in entries[0]) == ("without_data_type" not in name)
    message = next(e for e in entries if "subject" in e)
    assert ("createDateline" in message) == ("create_dateline" in name) != ("dateline" in message)


def test_a_message_without_any_posting_time_is_a_layout_change_naming_both_keys() -> None:
    recorded = case("content_in_progress")
    bare = edited(recorded.snapshot, lambda d: main_entry(d).pop("dateline"))
    with pytest.raises(LayoutChanged, match="dateline.*createDateline"):
        parse_content(bare, context(recorded))
    garbled = edited(recorded.snapshot, lambda d: main_entry(d).update(dateline="昨天"))
    with pytest.raises(LayoutChanged, match="unix seconds"):
        parse_content(garbled, context(recorded))


def test_without_data_type_an_entry_that_is_neither_message_nor_reply_leaves_no_message() -> None:
    recorded = case("content_without_data_type")
    anonymous = edited(recorded.snapshot, lambda d: [e.pop(k, None) for e in d["resultData"]["contentList"]
                                                     for k in ("subject", "nickName")])
    with pytest.raises(LayoutChanged, match="0 message entries"):
        parse_content(anonymous, context(recorded))


def test_an_unknown_board_takes_its_addressee_from_the_answer() -> None:
    recorded = case("content_ministry_board")
    message = parse_content(recorded.snapshot, dataclasses.replace(context(recorded), addressees={}))
    assert message.addressee == main_entry(json.loads(recorded.snapshot.body))["forumName"] == "国家卫生健康委员会"


# --- options, backoff and the appCode refresh -------------------------------------------------------
@pytest.mark.parametrize(("options", "words"), [
    ({"path": "chrome"}, "options.path"), ({"rows": 0}, "options.rows"), ({"backoff_s": -1}, "backoff_s"),
    ({"kind_labels": {"两会": "lobbying"}}, "kind_labels"), ({"referer": "x"}, "unknown people option"),
    ({"publication_lag_hours": -1}, "publication_lag_hours"), ({"publication_lag_hours": "3d"}, "hours"),
    ({"backfill_days": 0}, "backfill_days must be a positive number"),
    ({"backfill_days": 2}, "backfill_days must reach back at least publication_lag_hours"),
    ({"forum_tree_url": "/forum_data.jsonp"}, "forum_tree_url"),
    ({"list_api": "unsigned"}, "options.list_api must be one of"), ({"form_list_path": "threads"}, "form_list_path"),
])
def test_bad_options_name_the_key(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_options(options, "people_x.toml")


def test_a_backfill_window_is_off_unless_set() -> None:
    assert parse_options({}, "test").backfill is None
    assert parse_options({"backfill_days": 90}, "test").backfill == timedelta(days=90)
    assert parse_options({"backfill_days": 1, "publication_lag_hours": 12}, "test").backfill == timedelta(days=1)


def test_ministry_boards_are_listed_by_the_bw_api_unless_every_list_goes_through_the_form_api() -> None:
    options = parse_options({"ministry_boards": [5050]}, "test")
    assert (options.list_kind("5050"), options.list_kind("559")) == ("bw", "df")
    form = parse_options({"ministry_boards": [5050], "list_api": "form"}, "test")
    assert (form.list_kind("5050"), form.list_kind("559"), form.form_list_path) == (
        "form", "form", "/threads/queryThreadsList")


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    options = PeopleOptions(backoff_s=1.0, max_backoff_s=5.0)
    waits = {attempt: [backoff_s(options, attempt) for _ in range(200)] for attempt in (1, 2, 3, 6)}
    assert 0.5 <= min(waits[1]) and max(waits[1]) <= 1.5 and 1.0 <= min(waits[2]) and max(waits[2]) <= 3.0
    assert max(waits[6]) <= 7.5 and len(set(waits[1])) > 100


def test_calls_refused_together_cause_one_shell_read() -> None:
    shell, reads = case("shell_list").snapshot, []

    async def fetch() -> Snapshot:
        reads.append(1)
        await asyncio.sleep(0.01)
        return shell

    async def scenario() -> list[bool]:
        release = SiteRelease()
        release.accept(shell)
        seen = release.generation
        return await asyncio.gather(*(release.refresh(fetch, seen) for _ in range(5)))

    assert asyncio.run(scenario()) == [True] * 5 and len(reads) == 1


def test_an_unreadable_shell_keeps_the_old_app_code() -> None:
    async def blocked() -> Snapshot:
        raise ShellUnreadable("HTTP 429")

    async def scenario() -> tuple[bool, str | None]:
        release = SiteRelease()
        release.accept(case("shell_list").snapshot)
        return await release.refresh(blocked, release.generation), release.app_code

    assert asyncio.run(scenario()) == (False, REAL_APP_CODE)
