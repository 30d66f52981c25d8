"""jact page objects across the variants real sites serve (replicas/jact/README.md): recorded variants read alike,
data proxy answers however they arrive, and what no variant explains raises LayoutChanged naming why."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path

import pytest

from harvester.config import ConfigError
from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import detect_soft_block
from harvester.fixtures import all_cases
from harvester.registry import Board
from harvester.timeutil import SHANGHAI
from spiders.jact import pages
from spiders.jact.options import JactOptions, parse_options

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VARIANTS = ("jact_demo_proxy5", "jact_demo_labels", "jact_demo_pageindex")
CASES = {(c.slug, c.name): c for c in all_cases(FIXTURES) if c.family == "jact"}
FETCHED = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
URL = "http://127.0.0.1:8601/jact/front/dataproxy_mailpublist.do?startrecord=1&endrecord=57&perpage=19&groupSize=3"
ROW6 = ("<tr class='tr_css'><td>XF20261119-0002</td><td><a href='mailpubdetail.do?transactId=48237&sysid=6' "
        "target='_blank' title='关于解放街医院挂号难的问题'>关于解放街医院挂号难的问题</a></td><td>办理中</td>"
        "<td>2026-11-19</td><td><a href='javascript:void(0);'>市卫生健康委员会</a></td><td>9</td></tr>")


def answer(body: str, content_type: str = "text/javascript; charset=UTF-8") -> Snapshot:
    return Snapshot(url=URL, status=200, body=body.encode("utf-8"), fetched_at=FETCHED,
                    headers={"content-type": content_type})


def store(rows: list[str], total: int | None = None) -> str:
    head = f"totalRecord = {total};\n" if total is not None else ""
    return f"{head}dataStore = {json.dumps(rows, ensure_ascii=False)};"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_recorded_variant_reads_into_the_default_variants_messages(variant: str) -> None:
    """The same letters recorded from each variant (same seed) parse to the same expectations, field for field."""
    names = [name for slug, name in CASES if slug == variant and name.startswith("detail_")]
    assert len(names) == 4
    for name in names:
        assert CASES[(variant, name)].expected == CASES[("jact_demo", name)].expected, name


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_recorded_list_variant_gives_the_same_letters(variant: str) -> None:
    reference = CASES[("jact_demo", "list_first_page")].expected["rows"]
    rows = CASES[(variant, "list_first_page")].expected["rows"]
    assert len(rows) in (15, 57) and rows == [
        {**row, "unit": "" if variant == "jact_demo_proxy5" else row["unit"]} for row in reference[:len(rows)]]


def test_a_data_proxy_answer_gives_rows_and_total() -> None:
    five = ROW6.replace("<td><a href='javascript:void(0);'>市卫生健康委员会</a></td>", "")
    listing = pages.parse_list(answer(store([ROW6, five], total=120)))
    assert listing.total == 120 and listing.next_url is None
    assert [(r.transact_id, r.status_raw, r.unit, r.submitted_on) for r in listing.rows] == \
        [("48237", "办理中", "市卫生健康委员会", "2026-11-19"), ("48237", "办理中", "", "2026-11-19")]


def test_an_answer_a_browser_rendered_reads_like_the_raw_one() -> None:
    """A browser shows a script answer as text in <pre>, its markup escaped; page.content() gives that page."""
    raw = store([ROW6], total=3)
    rendered = (f'<html><head></head><body><pre style="word-wrap: break-word; white-space: pre-wrap;">'
                f"{escape(raw, quote=False)}</pre></body></html>")
    assert pages.parse_list(answer(rendered, "text/html; charset=UTF-8")) == pages.parse_list(answer(raw))


@pytest.mark.parametrize(("body", "reason"), [
    (store([ROW6.replace("<td>9</td>", "<td>9</td><td>x</td>")]), "has 7 cells, expected 5 or 6"),
    (store(["<div>no row</div>"]), "holds 0 <tr> rows"),
    ('dataStore = {"rows": 1};', "dataStore = [...] not found"),
    ("dataStore = [\"<tr class='tr_css'><td>1</td>\", ];", "not a readable array"),
    ("dataStore = [1, 2];", "not an array of row strings"),
    ("<html><body><table class='list_table'></table></body></html>", "neither a data proxy answer"),
])
def test_what_no_variant_explains_raises_layout_changed_saying_why(body: str, reason: str) -> None:
    with pytest.raises(LayoutChanged, match=reason.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        pages.parse_list(answer(body))


def test_an_empty_answer_is_an_empty_list_not_a_block() -> None:
    empty = answer(store([], total=0))
    listing = pages.parse_list(empty)
    assert listing.rows == () and listing.total == 0
    assert detect_soft_block(empty, unparsed=True) is None


def test_paging_stops_on_a_short_answer_or_at_the_total() -> None:
    rows = pages.parse_list(answer(store([ROW6]))).rows * 57
    assert pages.proxy_has_more(pages.ListPage(rows, None, None), 57, 57)  # no total stated: a full answer goes on
    assert not pages.proxy_has_more(pages.ListPage(rows[:56], None, None), 57, 57)
    assert not pages.proxy_has_more(pages.ListPage(rows[:56], None, 500), 57, 57)  # short beats a wrong total
    full = pages.ListPage(rows, None, None)
    assert pages.proxy_has_more(pages.ListPage(full.rows, None, 120), 57, 114)
    assert not pages.proxy_has_more(pages.ListPage(full.rows, None, 114), 57, 114)
    assert not pages.proxy_has_more(pages.ListPage(full.rows, None, 0), 57, 57)  # a total of 0 wins


def test_requests_ask_record_ranges_of_perpage_times_group_size() -> None:
    options = JactOptions(form={"dicvalue": "null"})
    assert pages.list_url("http://x", "6", 2, options) == (
        "http://x/jact/front/dataproxy_mailpublist.do?startrecord=58&endrecord=114&perpage=19&groupSize=3")
    assert pages.list_form(options, "84") == {"sysid": "84", "orderfield": "1", "dicvalue": "null"}
    old = parse_options({"list": "pageindex"}, "t.toml")
    assert pages.list_url("http://x", "6", 3, old) == "http://x/jact/front/mailpublist.do?sysid=6&pageIndex=3"
    laiwu = parse_options({"list_path": "/jact/front/dataproxy_mailnewlist.action", "perpage": 10}, "t.toml")
    assert pages.list_url("http://x", "1", 1, laiwu).startswith(
        "http://x/jact/front/dataproxy_mailnewlist.action?startrecord=1&endrecord=30&")


@pytest.mark.parametrize(("options", "field"), [({"list": "xml"}, "options.list"),
                                                ({"perpage": 0}, "options.perpage"),
                                                ({"group_size": "3"}, "options.group_size"),
                                                ({"list_path": "jact/front/x.do"}, "options.list_path"),
                                                ({"form": {"sysid": 84}}, "options.form"),
                                                ({"lists": "pageindex"}, "unknown jact option")])
def test_option_mistakes_name_the_file_and_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=f"t.toml: {field}"):
        parse_options(options, "t.toml")


def test_challenge_and_check_options_are_not_jact_mistakes() -> None:
    parsed = parse_options({"solve_challenges": "all", "challenge_max_solves": 3, "checks": {}}, "t.toml")
    assert parsed == JactOptions()


def test_a_reply_table_without_its_letter_table_is_not_a_letter() -> None:
    """Labels are read from every table, but a page must still carry the letter's own (来信时间 …)."""
    case = CASES[("jact_demo", "detail_replied_with_attachment")]
    text = case.snapshot.text
    start, end = text.index('<div class="jact_box_font">'), text.index('<div style="padding-bottom:15px;">')
    cut = Snapshot(url=case.snapshot.url, status=200, body=(text[:start] + text[end:]).encode("utf-8"),
                   fetched_at=FETCHED, headers={"content-type": "text/html; charset=UTF-8"})
    with pytest.raises(LayoutChanged, match="label '来信时间' not found"):
        pages.parse_detail(cut, "jact_demo", "http://127.0.0.1:8601", Board("6", "市长信箱"), "48002")


def test_platform_check_finds_a_jact_option_mistake_without_fetching() -> None:
    from dataclasses import replace

    from harvester.app.probe import definition_problem
    from harvester.registry import BUILTIN_DIR, load_definition

    spec = load_definition(BUILTIN_DIR / "jact_demo.toml")
    assert definition_problem(spec) is None
    problem = definition_problem(replace(spec, options={"list": "pageIndex"}))
    assert problem is not None and "jact_demo.toml" in problem and "options.list" in problem
