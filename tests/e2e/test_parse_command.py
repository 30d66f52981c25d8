"""`harvester parse SLUG FILE`: a saved page read with its platform's parser, as the recorded cases expect it.

Cases are picked from tests/fixtures by what they are (family, page, expectation), not pinned, so re-recorded
fixtures keep these tests meaningful: each output must equal the case's expected.json, masked as exports are.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harvester.app.cli.main import app
from harvester.definition import definition_of, find_spec
from harvester.fixtures import Case, all_cases
from harvester.privacy import mask_record, mask_text
from harvester.registry import load_platforms

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CASES = all_cases(FIXTURES)
MESSAGE_PAGES = {("jact", "detail"), ("discuz", "thread"), ("people", "content"), ("generic", "detail")}
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ROW_NAMES, ROW_TEXTS = ("author", "last_poster"), ("title", "subject", "text")


@cache
def platforms() -> dict[str, str]:
    return {slug: spec.family for slug, spec in load_platforms().items()}


def platform(case: Case) -> str:
    """The platform whose parser reads the case: its folder's slug, else the one its context names, else (a
    replica variant recorded without one) the first platform of its family."""
    for slug in (case.slug, case.context.get("platform")):
        if slug in platforms():
            return str(slug)
    return next(slug for slug, family in sorted(platforms().items()) if family == case.family)


def folder(case: Case) -> Path:
    return FIXTURES / case.slug / case.name


def parse(case: Case, *extra: str, url: bool = True) -> Any:
    """Run the command in-process on the case's saved page (with its URL and fetch time unless told)."""
    args = ["parse", platform(case), str(folder(case) / "input.bin"), "--fetched-at", case.snapshot.fetched_at.isoformat()]
    return CliRunner().invoke(app, args + (["--url", case.snapshot.url] if url else []) + list(extra))


def lines(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def readable(case: Case) -> bool:
    return "error" not in case.expected


def params(test: Any) -> list[Any]:
    return [pytest.param(c, id=f"{c.slug}/{c.name}") for c in CASES if test(c)]


def list_rows(case: Case) -> list[dict[str, Any]]:
    """The expected rows: a page object's rows or items, or a definition list's columns (public rows) as rows."""
    expected = case.expected
    for key in ("rows", "items"):
        if isinstance(expected.get(key), list):
            return list(expected[key])
    columns = {name: values for name, values in expected.items() if isinstance(values, list)}
    count = max(map(len, columns.values()), default=0)
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def row_only_fields(case: Case) -> set[str]:
    """Fields a definition reads from the list row only: a saved detail page alone cannot give them."""
    if case.family != "generic":
        return set()
    definition = definition_of(find_spec(platform(case)))
    names = {name for name in case.context.get("row", {}) if name not in definition.detail.fields}
    return names | {f"{name}_raw" for name in names}


@pytest.mark.parametrize("case", params(lambda c: (c.family, c.page) in MESSAGE_PAGES and readable(c)))
def test_a_saved_message_page_prints_its_recorded_message_masked(case: Case) -> None:
    result = parse(case)
    assert result.exit_code == 0, result.stderr
    [message] = lines(result)
    expected = mask_record(case.expected)  # exactly what `harvester export` prints of it
    skipped = row_only_fields(case)
    assert {k: v for k, v in message.items() if k not in skipped} == {
        k: v for k, v in expected.items() if k not in skipped}
    for name in skipped & {"title", "body", "status", "posted_at"}:  # required: said to come from the list
        assert message[name] is None and f"{name}: not on this page" in result.stderr


@pytest.mark.parametrize("case", params(lambda c: c.page == "list" and readable(c)))
def test_a_saved_list_page_prints_one_line_per_row(case: Case) -> None:
    result = parse(case)
    assert result.exit_code == 0, result.stderr
    expected = [mask_record(row, fields=ROW_NAMES, text_fields=ROW_TEXTS) for row in list_rows(case)]
    assert expected and lines(result) == expected


@pytest.mark.parametrize("case", params(lambda c: (c.family, c.page) == ("discuz", "thread_page")))
def test_a_later_thread_page_prints_its_floors(case: Case) -> None:
    result = parse(case, "--kind", "thread")
    assert result.exit_code == 0, result.stderr
    floors = case.expected["posts"]
    if case.expected.get("page", 1) == 1:  # page 1 is the thread's message
        [message] = lines(result)
        assert message["title"] == case.expected["subject"]
        return
    assert lines(result) == [mask_record(p, fields=ROW_NAMES, text_fields=ROW_TEXTS) for p in floors]


GBK = params(lambda c: readable(c) and (c.family, c.page) in MESSAGE_PAGES
             and re.search(rb"charset=[\"']?(gbk|gb2312|gb18030)", c.snapshot.body[:2048], re.I) is not None)


def test_gbk_pages_are_among_the_cases() -> None:
    assert {p.values[0].slug for p in GBK} >= {"discuz_demo_gbk", "jact_demo_gbk"}


@pytest.mark.parametrize("case", GBK)
def test_a_gbk_page_is_decoded_by_its_declared_charset(case: Case) -> None:
    """No headers come with a saved file: the <meta> declaration decides, as it does for the spider."""
    result = parse(case, url=False)
    assert result.exit_code == 0, result.stderr
    [message] = lines(result)
    assert message["title"] == mask_text(case.expected["title"]) and "\ufffd" not in message["body"]
    assert "(gb18030)" in result.stderr


def test_a_gbk_page_that_declared_its_charset_only_in_the_lost_header_is_read_as_gb18030(tmp_path: Path) -> None:
    """jact's data proxy answers say GBK only in Content-Type, which a saved file loses: bytes declaring nothing
    that are not UTF-8 are read as GB18030 (the spider read the header); --charset overrides."""
    case = GBK[0].values[0]
    saved = tmp_path / "page.html"
    saved.write_bytes(re.sub(rb"charset=[\"']?(gbk|gb2312|gb18030)", b"", case.snapshot.body, flags=re.I))
    args = ["parse", platform(case), str(saved), "--fetched-at", case.snapshot.fetched_at.isoformat()]
    [message] = lines(CliRunner().invoke(app, args))
    assert message["title"] == mask_text(case.expected["title"])
    forced = CliRunner().invoke(app, [*args, "--charset", "latin-1"])
    assert forced.exit_code == 1 or lines(forced)[0]["title"] != message["title"]


DETECTED = params(lambda c: readable(c) and ((c.family, c.page) in MESSAGE_PAGES or c.page == "list"))


@pytest.mark.parametrize("case", DETECTED)
def test_the_kind_is_detected_without_url_or_kind(case: Case) -> None:
    """Without --url and --kind the page object that reads the page is found: a list gives its rows, a detail
    page its one message (ids and URLs cannot be known, the text is the same)."""
    result = parse(case, url=False)
    assert result.exit_code == 0, result.stderr
    got = lines(result)
    if case.page == "list":
        assert [r.get("title") or r.get("subject") for r in got] == [
            mask_text(r.get("title") or r.get("subject") or "") or None for r in list_rows(case)]
    else:
        [message] = got
        assert (message["title"], message["body"]) == (mask_text(case.expected["title"]),
                                                       mask_text(case.expected["body"]))


@pytest.mark.parametrize("case", params(lambda c: c.page in ("detail", "thread") and readable(c)))
def test_the_url_alone_tells_a_detail_page(case: Case) -> None:
    """The URL pattern decides when it is given: asked to read a detail URL, only the detail parser runs."""
    result = parse(case)
    assert result.exit_code == 0, result.stderr
    assert f"read as {case.page} " in result.stderr
    assert lines(result)[0]["external_id"] == case.expected["external_id"]


@pytest.mark.parametrize("case", params(lambda c: c.expected.get("error") == "LayoutChanged"))
def test_a_page_no_parser_reads_exits_1_with_the_reason(case: Case) -> None:
    kind = {"list": "list", "detail": "detail", "thread": "thread", "content": "api"}[case.page]
    result = parse(case, "--kind", kind)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert " ".join(case.expected["reason"].split()) in " ".join(result.stderr.split())


def test_a_refused_api_answer_exits_1_naming_the_answer() -> None:
    refused = [c for c in CASES if c.family == "people" and c.page == "answer" and c.expected["answer"] != "ok"]
    assert refused
    for case in refused:
        result = parse(case, url=False)
        assert result.exit_code == 1 and result.stdout == "", case.name
        if case.snapshot.status == 200:  # a saved file has no HTTP status: a 403 page reads as an error answer
            assert repr(case.expected["answer"]) in result.stderr
        assert "the API answered" in result.stderr


def test_a_kind_the_family_has_not_is_refused() -> None:
    case = next(c for c in CASES if c.family == "jact" and c.page == "detail")
    result = parse(case, "--kind", "api")
    assert result.exit_code == 2 and "no 'api' pages" in result.stderr


def test_phones_never_print() -> None:
    """A letter quoting a phone number prints it masked; no case of any family prints one in full."""
    quoting = [c for c in CASES if readable(c) and (c.family, c.page) in MESSAGE_PAGES
               and PHONE.search(c.expected.get("body", ""))]
    assert quoting, "no recorded letter quotes a phone number any more: record one"
    for case in CASES:
        result = parse(case)
        assert not PHONE.search(result.stdout), f"{case.slug}/{case.name}"
    for case in quoting:
        [message] = lines(parse(case))
        assert message["body"] == mask_text(case.expected["body"]) != case.expected["body"]


def test_the_command_as_an_operator_runs_it(tmp_path: Path) -> None:
    """Exit codes and streams of the real process: JSON lines on stdout, the summary on stderr."""
    case = next(c for c in CASES if c.family == "jact" and c.page == "list" and readable(c))
    saved = tmp_path / "letters.html"
    saved.write_bytes(case.snapshot.body)
    result = subprocess.run([sys.executable, "-m", "harvester", "parse", platform(case), str(saved)], cwd=ROOT,
                            text=True, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(list_rows(case)) and "read as list" in result.stderr
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><p>系统维护中</p></body></html>", encoding="utf-8")
    failed = subprocess.run([sys.executable, "-m", "harvester", "parse", platform(case), str(broken)], cwd=ROOT,
                            text=True, capture_output=True, timeout=60)
    assert failed.returncode == 1 and failed.stdout == "" and "LayoutChanged" in failed.stderr


def test_help_names_the_kinds() -> None:
    result = CliRunner().invoke(app, ["parse", "--help"])
    assert result.exit_code == 0 and "--kind" in result.stdout and "--fetched-at" in result.stdout


@pytest.mark.parametrize("url", ["https://liuyan.people.com.cn/v1/threads/list/df",
                                 "https://liuyan.people.com.cn/threads/queryThreadsList"])
def test_a_leader_board_list_answer_saved_from_either_list_url_is_read_as_a_list(url: str) -> None:
    case = next(c for c in CASES if (c.family, c.page) == ("people", "list") and readable(c))
    result = CliRunner().invoke(app, ["parse", platform(case), str(folder(case) / "input.bin"), "--url", url])
    assert result.exit_code == 0 and "read as list" in result.stderr
    assert len(lines(result)) == len(list_rows(case))


@pytest.mark.parametrize("case", params(lambda c: c.expected.get("error") == "LayoutChanged"
                                        and c.page in ("detail", "thread")))
def test_a_broken_page_with_its_url_names_only_its_own_parser(case: Case) -> None:
    """The URL says it is a detail page: the reason is the detail parser's, not every parser's."""
    result = parse(case)
    assert result.exit_code == 1 and "list:" not in result.stderr.replace("\n", " ").split("page:", 1)[1]
    assert " ".join(case.expected["reason"].split()) in " ".join(result.stderr.split())
