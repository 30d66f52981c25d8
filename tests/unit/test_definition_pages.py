"""The generic page objects on the recorded replica pages: one changed selector breaks exactly its field."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harvester.definition import definition_of, find_spec, parse_options
from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.fixtures import Case, all_cases, message_expectation
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from spiders.generic.listing import parse_list, require_complete
from spiders.generic.message import LetterContext, read_letter, to_message
from spiders.generic.probe import Fetched
from spiders.generic.probe_report import probe_report
from spiders.pageindex import parse_recorded

CASES = [c for c in all_cases(Path(__file__).resolve().parents[1] / "fixtures") if c.family == "generic"]
SLUGS = ["dalian_szxx", "changsha_szxx", "tianjin_zmljl", "hanweb_szxx", "beijing_12345", "xuzhou_12345",
         "trs_xjgk"]


def case(slug: str, name: str) -> Case:
    return next(c for c in CASES if c.slug == slug and c.name == name)


def mutated(found: Case, old: bytes, new: bytes) -> Case:
    assert old in found.snapshot.body, old
    return replace(found, snapshot=replace(found.snapshot, body=found.snapshot.body.replace(old, new)))


def differing(found: Case, result: dict[str, Any]) -> list[str]:
    return [name for name in found.expected if result.get(name) != found.expected[name]]


def test_every_replica_platform_has_a_list_case_and_details_of_several_statuses() -> None:
    for slug in SLUGS:
        names = {c.name for c in CASES if c.slug == slug}
        assert "list_first_page" in names and len([n for n in names if n.startswith("detail_")]) >= 2, slug


@pytest.mark.parametrize(("slug", "name", "old", "new", "field"), [
    ("dalian_szxx", "detail_closed", b'class="xj_title"', b'class="xj_heading"', "title"),
    ("changsha_szxx", "detail_replied_with_satisfaction", "浏览量".encode(), "阅读量".encode(), "views"),
    ("tianjin_zmljl", "list_first_page", b"><span>", b"><em>", "title"),
    ("xuzhou_12345", "detail_closed", b'id="CaseDetail_lbl_title"', b'id="CaseDetail_lblTitle"', "title"),
    ("xuzhou_12345", "list_first_page", b"window.open(", b"openWindow(", "link"),
    ("hanweb_szxx", "detail_closed", '"td_label">来信时间'.encode(), '"td_label">提交时间'.encode(), "posted_at"),
    ("beijing_12345", "detail_replied", b'id="zanNum"', b'id="upNum"', "likes"),
    ("hanweb_szxx", "list_first_page", b" title=", b" data-title=", "title"),
    ("tianjin_zmljl", "list_first_page", "下一页".encode("gbk"), "后一页".encode("gbk"), "more"),
    ("trs_xjgk", "list_first_page", b"createPageHTML(4,", b"createPageHTML(countPage,", "more"),
    ("trs_xjgk", "detail_closed_with_satisfaction", "<th>来信人".encode("gb2312"), "<th>写信人".encode("gb2312"),
     "author"),
])
def test_a_changed_selector_breaks_exactly_that_field_and_names_it(slug: str, name: str, old: bytes, new: bytes,
                                                                    field: str) -> None:
    found = mutated(case(slug, name), old, new)
    result = parse_recorded(found.family, found.page, found.snapshot, found.context)
    assert differing(found, result) == [field]
    if field != "more":
        broken = result[field]
        reason = broken["reason"] if isinstance(broken, dict) else broken[0]["reason"]
        assert f"{field}:" in reason


def test_the_spider_path_quarantines_a_broken_page_naming_the_field() -> None:
    found = mutated(case("dalian_szxx", "detail_closed"), b'class="xj_title"', b'class="xj_heading"')
    definition = definition_of(find_spec("dalian_szxx"))
    letter = read_letter(found.snapshot, definition, found.context["row"])
    context = LetterContext("dalian_szxx", Board(**found.context["board"]), found.context["external_id"],
                            found.context["url"])
    with pytest.raises(LayoutChanged, match="detail: title: css:h2.xj_title matched nothing"):
        to_message(letter, context, found.snapshot)
    listing = mutated(case("hanweb_szxx", "list_first_page"), b" title=", b" data-title=")
    with pytest.raises(LayoutChanged, match="list: title:"):
        require_complete(parse_list(listing.snapshot, definition_of(find_spec("hanweb_szxx")), 1))


@pytest.mark.parametrize("found", [pytest.param(c, id=f"{c.slug}/{c.name}") for c in CASES if c.page == "detail"])
def test_the_spider_yields_exactly_what_the_recorded_expectation_says(found: Case) -> None:
    definition = definition_of(find_spec(found.slug))
    context = LetterContext(found.slug, Board(**found.context["board"]), found.context["external_id"],
                            found.context["url"])
    message = to_message(read_letter(found.snapshot, definition, found.context["row"]), context, found.snapshot)
    assert message_expectation(normalise_message(message)) == found.expected


def test_non_public_rows_are_counted_not_read_but_keep_their_letter_number() -> None:
    found = case("dalian_szxx", "list_first_page")
    assert (found.expected["rows"], found.expected["not_public"]) == (15, 2)
    assert len(found.expected["id"]) == 13 and all(len(i) == 32 for i in found.expected["id"])
    hidden = [row for row in parse_list(found.snapshot, definition_of(find_spec("dalian_szxx")), 1).rows
              if not row.public]
    assert [sorted(row.values) for row in hidden] == [["letter_no"], ["letter_no"]]
    assert all(row.values["letter_no"].startswith("G2026") for row in hidden)


def test_a_notice_page_or_a_redirect_means_not_public() -> None:
    notice = mutated(case("dalian_szxx", "detail_pending"), b'<div class="xj_detail">',
                     b'<div class="xj_tip">\xe8\xaf\xa5\xe4\xbf\xa1\xe4\xbb\xb6\xe6\x9c\xaa\xe5\x85\xac\xe5\xbc\x80</div>'
                     b'<div class="xj_detail">')
    assert parse_recorded("generic", "detail", notice.snapshot, notice.context)["error"] == "NotPublic"
    found = case("changsha_szxx", "detail_in_progress")
    redirect = replace(found.snapshot, status=302, body=b"")
    with pytest.raises(NotPublic, match="HTTP 302"):
        read_letter(redirect, definition_of(find_spec("changsha_szxx")), {})


def test_gbk_pages_are_decoded_as_they_declare() -> None:
    found = case("tianjin_zmljl", "detail_replied")
    with pytest.raises(UnicodeDecodeError):
        found.snapshot.body.decode("utf-8")
    assert "charset" not in found.snapshot.headers.get("content-type", "")
    assert found.expected["title"].startswith("关于") and found.expected["region"].endswith("区")


def test_an_unknown_status_label_names_the_vocabulary_and_a_vocabulary_entry_maps_it() -> None:
    found = mutated(case("hanweb_szxx", "detail_closed"), "已办结".encode(), "已反馈".encode())
    result = parse_recorded("generic", "detail", found.snapshot, found.context)
    assert "[options.vocabulary.status]" in result["status"]["reason"]
    spec = find_spec("hanweb_szxx")
    options = {**spec.options, "vocabulary": {"status": {"已反馈": "closed"}}}
    definition = parse_options(spec.slug, options, spec.source)
    letter = read_letter(found.snapshot, definition, {})
    assert (letter.values["status"].value, letter.values["status_raw"]) == ("closed", "已反馈")


def test_check_reports_a_broken_field_by_name_and_a_clean_definition_has_no_problems() -> None:
    spec = find_spec("hanweb_szxx")
    listing, detail = case(spec.slug, "list_first_page"), case(spec.slug, "detail_replied")
    good = definition_of(spec)
    lists = [Fetched("list", listing.snapshot, listing.context, parse_list(listing.snapshot, good, 1))]
    details = [Fetched("detail", detail.snapshot, detail.context)]
    assert probe_report(good, lists, details).problems == []
    fields = {**spec.options["detail"]["fields"], "title": "label:信件主题"}
    bad = parse_options(spec.slug, {**spec.options, "detail": {**spec.options["detail"], "fields": fields}},
                        spec.source)
    problems = probe_report(bad, lists, details).problems
    assert len(problems) == 1 and problems[0].startswith("letter 1: title: detail: title: label '信件主题' not found")


CHENGDU_LIKE = """
date_formats = ["%Y年%m月%d日 %H时%M分"]
[list]
url = "/openWorkList?page={page}"
rows = "css:li"
[list.paging]
kind = "page"
[list.fields]
id = "css:a"
link = "css:a"
[detail.labels]
cells = "css:table.tb td.label"
value = "xpath:following-sibling::td[1]"
[detail.fields]
title = "label:来信标题"
body = "label:来信内容"
posted_at = "label:来信时间"
topic = "label:问题类别"
kind = { const = "求助" }
status = { exists = "css:div.hop", yes = "已办理", no = "待处理" }
attachments = { css = "a.file", attr = "href", all = true }
[detail.reply]
each = "css:div.hop"
text = "css:p"
organisation = "css:span.unit"
replied_at = { css = "span.time", format = "%Y-%m-%d %H:%M" }
[vocabulary.topic]
"市容环卫" = "urban_construction"
"""
HOPS = """<html><body><table class="tb">
<tr><td class="label">来信标题：</td><td>关于垃圾清运的问题</td></tr>
<tr><td class="label">来信时间：</td><td>2026年11月18日 09时05分</td></tr>
<tr><td class="label">问题类别：</td><td>市容环卫</td></tr>
<tr><td class="label">来信内容：</td><td><p>垃圾三天未清运。</p><a class="file" href="/up/1.jpg">图1</a></td></tr>
</table>
<div class="hop"><span class="unit">锦江区城管局</span><span class="time">2026-11-19 10:00</span><p>已转办。</p></div>
<div class="hop"><span class="unit">锦江区环卫所</span><span class="time">2026-11-20 16:30</span><p>已清运完毕。</p></div>
</body></html>"""


def test_several_replies_custom_date_formats_and_a_topic_vocabulary() -> None:
    definition = parse_options("chengdu_12345", tomllib.loads(CHENGDU_LIKE), "chengdu_12345.toml", text="")
    snapshot = replace(case("hanweb_szxx", "detail_closed").snapshot, url="http://x.test/detail?id=7",
                       body=HOPS.encode(), headers={"content-type": "text/html; charset=utf-8"})
    letter = read_letter(snapshot, definition, {})
    assert letter.errors == {}
    values = letter.values
    assert (values["topic"].value, values["topic_raw"], values["kind"].value) == ("urban_construction", "市容环卫",
                                                                                   "help")
    assert values["posted_at"].isoformat() == "2026-11-18T09:05:00+08:00"
    assert values["attachments"] == ("http://x.test/up/1.jpg",)
    assert [(r.organisation, r.text, r.replied_at.isoformat()) for r in values["replies"]] == [
        ("锦江区城管局", "已转办。", "2026-11-19T10:00:00+08:00"),
        ("锦江区环卫所", "已清运完毕。", "2026-11-20T16:30:00+08:00")]
    assert values["updated_at"] == values["replies"][-1].replied_at and values["status_raw"] == "已办理"


def test_the_sites_own_overdue_verdict_is_read_and_an_unknown_wording_names_the_vocabulary() -> None:
    found = case("tianjin_zmljl", "detail_replied")
    spec = find_spec("tianjin_zmljl")
    shown = '<span class="content">否</span>'.encode("gbk")
    late = mutated(found, shown, '<span class="content">是</span>'.encode("gbk"))
    assert read_letter(found.snapshot, definition_of(spec), {}).values["overdue"] is False
    assert read_letter(late.snapshot, definition_of(spec), {}).values["overdue"] is True
    worded = mutated(found, shown, '<span class="content">按期办结</span>'.encode("gbk"))
    result = parse_recorded("generic", "detail", worded.snapshot, worded.context)
    assert "[options.vocabulary.overdue]" in result["overdue"]["reason"]
    options = {**spec.options, "vocabulary": {"overdue": {"按期办结": False}}}
    letter = read_letter(worded.snapshot, parse_options(spec.slug, options, spec.source), {})
    assert letter.values["overdue"] is False and "overdue" not in letter.errors  # (status comes from the list)


def test_an_unanswered_letter_has_no_overdue_verdict_and_its_reply_heading_is_kept_once_answered() -> None:
    waiting, answered = case("tianjin_zmljl", "detail_in_progress"), case("tianjin_zmljl", "detail_replied")
    definition = definition_of(find_spec("tianjin_zmljl"))
    assert "overdue" not in read_letter(waiting.snapshot, definition, {}).values  # the span is empty until then
    [reply] = read_letter(answered.snapshot, definition, {}).values["replies"]
    assert reply.title and reply.title.endswith("的回复")


def test_trs_pages_count_from_the_script_call_and_articles_resolve_against_the_list_page() -> None:
    """TRS draws its pager by script only: the page count is the first argument of createPageHTML; article
    links are relative to the list page (./202611/t20261119_610153.html). The page is GB2312 (meta tag only)."""
    found = case("trs_xjgk", "list_first_page")
    definition = definition_of(find_spec("trs_xjgk"))
    assert b"<a href=\"index_1.html\"" not in found.snapshot.body and found.snapshot.charset == "gb18030"
    listing = parse_list(found.snapshot, definition, 1)
    assert listing.more and len(listing.rows) == 15
    assert found.snapshot.url.endswith("/col/col3187/index.html") and b'href="./2026' in found.snapshot.body
    column = re.escape(found.snapshot.url.removesuffix("/index.html"))
    assert all(re.fullmatch(rf"{column}/2026\d\d/t2026\d{{4}}_{row.id}\.html", row.values["link"])
               for row in listing.rows)
    last = mutated(found, b"createPageHTML(4, 0,", b"createPageHTML(4, 3,")
    assert not parse_list(last.snapshot, definition, 4).more  # page 4 of 4
    single = mutated(found, b"createPageHTML(4, 0,", b"createPageHTML(1, 0,")
    assert not parse_list(single.snapshot, definition, 1).more
