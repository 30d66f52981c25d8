"""督办 in Chromium: open letters overdue or due soon by unit, counted in working days across National Day 2025
(Oct 1-8 off, Sep 28 and Oct 11 worked), most urgent first."""

from __future__ import annotations

import os
from typing import Any

import pytest

from harvester.store.console_audit import audit_entries
from tests.console.seed import PHONE, bj
from tests.console.server import Console, screenshot, sign_in
from tests.store.builders import letter

pytestmark = pytest.mark.browser


def board(page: Any) -> list[tuple[str, str, str, str]]:
    """(unit, letter, due, left) in the order the board shows them."""
    rows = []
    for section in page.locator("section.unit").all():
        unit = str(section.get_attribute("data-unit"))
        for row in section.locator("tbody tr").all():
            rows.append((unit, str(row.get_attribute("data-letter")), row.locator("td.due").inner_text(),
                         row.locator("td.left").inner_text()))
    return rows


def test_the_board_counts_working_days_across_the_national_day_holiday(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/board?at=2025-10-14")
    screenshot(page, "board")
    # The complaint of Friday Sep 26 has 10 working days: Sep 28 (a make-up Sunday), 29, 30, then Oct 9 ... 16.
    # Counted Monday to Friday without the holiday it would be due Oct 10, and overdue here.
    assert board(page) == [
        ("市交通局", "jact_demo/1002", "2025-09-22", "超期 12 个工作日"),
        ("市住建局", "jact_demo/1001", "2025-10-16", "剩 2 个工作日"),
        ("市住建局", "people_demo/2002", "2025-10-16", "剩 2 个工作日"),
        ("市教育局", "people_demo/2001", "2025-10-16", "剩 2 个工作日"),
    ]
    assert (page.inner_text("#overdue-count"), page.inner_text("#soon-count")) == ("1", "3")


def test_after_the_deadline_the_same_letters_are_late_and_sorted_by_urgency(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/board?at=2025-10-17&soon=0")
    assert board(page) == [
        ("市住建局", "jact_demo/1001", "2025-10-16", "超期 1 个工作日"),
        ("市住建局", "people_demo/2002", "2025-10-16", "超期 1 个工作日"),
        ("市交通局", "jact_demo/1002", "2025-09-22", "超期 15 个工作日"),
        ("市教育局", "people_demo/2001", "2025-10-16", "超期 1 个工作日"),
    ]


def test_a_day_with_nothing_due_says_so(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/board?at=2025-09-02&soon=0")
    assert page.inner_text("#nothing") == "没有超期或临期的留言。"


def test_titles_on_the_board_are_masked_for_a_viewer(console: Console, page: Any) -> None:
    with console.store.transaction() as repo:
        run_id = repo.start_run("jact_demo", os.getpid())
        repo.upsert_messages([letter("1009", title=f"停水三天请回电{PHONE}", handling_unit="市水务局", posted_at=bj(9, 1))],
                             run_id, bj(10, 13, 20))
    sign_in(page, console.url, "viewer", then="/board?at=2025-10-14")
    title = page.locator("tr[data-letter='jact_demo/1009'] td").nth(2).inner_text()
    assert title == "停水三天请回电138****5678"
    sign_in(page, console.url, "approver", then="/board?at=2025-10-14")
    assert PHONE in page.locator("tr[data-letter='jact_demo/1009'] td").nth(2).inner_text()
    with console.store.transaction() as repo:
        assert [e.target for e in audit_entries(repo, action="unmasked_view")] == ["GET /board?at=2025-10-14"]
