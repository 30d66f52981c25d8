"""台账 in Chromium: filters across platforms, one letter with its replies, history and copies (一稿多投), and the
filtered view exported as CSV and XLSX, masked unless the role sees personal data."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import pytest
from openpyxl import load_workbook

from harvester.store.console_audit import audit_entries
from tests.console.seed import NAME, PHONE, bj
from tests.console.server import Console, screenshot, sign_in
from tests.store.builders import letter

pytestmark = pytest.mark.browser


def listed(page: Any) -> list[str]:
    return [str(row.get_attribute("data-letter")) for row in page.locator("#letters tbody tr[data-letter]").all()]


def test_filters_narrow_the_ledger_across_platforms(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer")
    assert len(listed(page)) == 7
    screenshot(page, "ledger")
    page.select_option("select[name=unit]", "市住建局")
    page.select_option("select[name=status]", "pending")
    page.click("#filters button")
    page.wait_for_url("**/ledger?*unit=*")
    assert sorted(listed(page)) == ["jact_demo/1001", "people_demo/2002"]
    page.select_option("select[name=platform]", "people_demo")
    page.click("#filters button")
    page.wait_for_url("**platform=people_demo*")
    assert listed(page) == ["people_demo/2002"]
    page.goto(f"{console.url}/ledger?kind=complain&from=2025-09-01&to=2025-09-10")  # both days included
    assert sorted(listed(page)) == ["jact_demo/1003", "jact_demo/1004"]
    page.goto(f"{console.url}/ledger?topic=environment")
    assert sorted(listed(page)) == ["discuz_demo/3001", "jact_demo/1004"]
    page.goto(f"{console.url}/ledger?kind=nonsense")
    assert page.inner_text("#refusal") == "未知的筛选值：nonsense"


def test_a_letter_shows_its_copies_history_and_replies_masked_for_a_viewer(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/ledger/jact_demo/1001")
    body = page.inner_text("#body")
    assert PHONE not in body and "138****5678" in body and page.inner_text("#author") == "王**"
    assert page.locator("#copies a").all_inner_texts() == ["people_demo/2002"]
    assert page.locator("#draft-link").count() == 0  # a viewer drafts nothing
    page.click("#copies a")
    page.wait_for_url("**/ledger/people_demo/2002")
    assert page.locator("#copies a").all_inner_texts() == ["jact_demo/1001"]
    page.goto(f"{console.url}/ledger")
    page.click("tr[data-letter='jact_demo/1001'] td:last-child a")  # the group link lists both copies
    page.wait_for_url("**/ledger?group=*")
    assert sorted(listed(page)) == ["jact_demo/1001", "people_demo/2002"]
    page.goto(f"{console.url}/ledger/jact_demo/1003")
    assert "您好，路灯已修复。" in page.inner_text(".reply") and "市住建局" in page.inner_text(".reply")
    assert page.locator("#history tbody tr").first.inner_text().split("\t")[1] == "首次采集"
    screenshot(page, "ledger-letter")
    with console.store.transaction() as repo:
        assert audit_entries(repo, action="unmasked_view") == []


def test_an_approver_sees_personal_data_and_every_such_view_is_audited(console: Console, page: Any) -> None:
    sign_in(page, console.url, "approver", then="/ledger/jact_demo/1001")
    assert PHONE in page.inner_text("#body") and page.inner_text("#author") == NAME
    with console.store.transaction() as repo:
        targets = [e.target for e in audit_entries(repo, actor="approver", action="unmasked_view")]
    assert "GET /ledger/jact_demo/1001" in targets


def _download(page: Any, link: str) -> bytes:
    with page.expect_download() as download:
        page.click(link)
    return download.value.path().read_bytes()


@pytest.mark.parametrize(("user", "masked"), [("drafter", True), ("admin", False)])
def test_the_filtered_view_exports_as_csv_and_xlsx_masked_by_role(console: Console, page: Any, user: str,
                                                                  masked: bool) -> None:
    sign_in(page, console.url, user, then="/ledger?unit=%E5%B8%82%E4%BD%8F%E5%BB%BA%E5%B1%80&status=pending")
    rows = list(csv.reader(io.StringIO(_download(page, "#export-csv").decode("utf-8-sig"))))
    assert rows[0][:4] == ["平台", "编号", "信件编号", "标题"]
    assert sorted(r[1] for r in rows[1:]) == ["1001", "2002"]
    sheet = load_workbook(io.BytesIO(_download(page, "#export-xlsx")), read_only=True)["台账"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [c[1] for c in cells[1:]] == [r[1] for r in rows[1:]]
    text = repr(rows) + repr(cells)
    assert (PHONE in text, NAME in text) == (not masked, not masked)
    with console.store.transaction() as repo:
        exports = audit_entries(repo, actor=user, action="export")
    assert [e.detail for e in exports] == [f"2 rows, {'masked' if masked else 'unmasked'}"] * 2


def test_the_ledger_pages_fifty_letters_at_a_time_without_repeats(console: Console, page: Any) -> None:
    with console.store.transaction() as repo:
        run_id = repo.start_run("jact_demo", os.getpid())
        repo.upsert_messages([letter(f"5{n:03d}", title=f"第{n}封来信", body=f"内容{n}号，各不相同的来信正文。{n * 7919}",
                                     posted_at=bj(10, 1 + n % 20)) for n in range(60)], run_id, bj(10, 21))
    sign_in(page, console.url, "viewer")
    first = listed(page)
    page.click("#more")
    page.wait_for_url("**cursor=*")
    second = listed(page)
    assert len(first) == 50 and len(second) == 17 and not set(first) & set(second)
    assert page.locator("#more").count() == 0
