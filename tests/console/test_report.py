"""统计 in Chromium: a month's letters per unit and platform — received, closed, reply rate, median working days to
the first reply, overdue — with SVG charts drawn by the server, and a print layout without the navigation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.server import Console, screenshot, sign_in

pytestmark = pytest.mark.browser


def figures(page: Any, table: str) -> dict[str, list[str]]:
    rows = page.locator(f"#{table} tbody tr").all()
    return {str(r.get_attribute("data-key")): r.locator("td").all_inner_texts()[1:] for r in rows}


def test_the_september_report_per_unit_and_platform(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/report?month=2025-09")
    screenshot(page, "report")
    # 1003 answered in 3 working days (Sep 11, 12, 15); 1004 in 12, past its 10: late. 1001, 1002 and 2002 are
    # still open past their deadlines. 2001 and 3001 were posted in October.
    assert figures(page, "by-unit") == {
        "市住建局": ["3", "1", "33.3%", "1", "33.3%", "3", "2"],
        "市交通局": ["1", "0", "0.0%", "0", "0.0%", "—", "1"],
        "市城管局": ["1", "1", "100.0%", "1", "100.0%", "12", "1"],
        "合计": ["5", "2", "40.0%", "2", "40.0%", "7.5", "4"],
    }
    assert figures(page, "by-platform") == {
        "jact_demo": ["4", "2", "50.0%", "2", "50.0%", "7.5", "3"],
        "people_demo": ["1", "0", "0.0%", "0", "0.0%", "—", "1"],
        "合计": ["5", "2", "40.0%", "2", "40.0%", "7.5", "4"],
    }
    assert page.inner_text("#median") == "7.5 个工作日" and page.inner_text("#reply-rate") == "40.0%"
    bars = page.locator("#unit-chart rect.received")
    widths = [float(w) for w in bars.evaluate_all("rects => rects.map(r => r.getAttribute('width'))")]
    assert widths == [420.0, 140.0, 140.0]  # 3, 1 and 1 letters on one scale
    assert page.locator("#unit-chart rect.replied").evaluate_all(
        "rects => rects.map(r => r.getAttribute('width'))") == ["140.0", "0.0", "140.0"]


def test_the_report_prints_without_the_navigation_and_filters(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/report?month=2025-10")
    assert page.inner_text("#received") == "2"
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("form.filters").is_visible()
    assert page.locator("#by-unit").is_visible() and page.locator("#unit-chart").is_visible()
    assert len(page.pdf()) > 1000  # Chromium lays the page out for printing


def test_a_month_written_wrong_is_refused(console: Console, page: Any) -> None:
    sign_in(page, console.url, "viewer", then="/report?month=2025-13")
    assert page.inner_text("#refusal") == "月份格式应为 YYYY-MM：2025-13"
