"""Export cells: a value a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from datetime import datetime

from harvester.app.console.export import row_of
from harvester.timeutil import SHANGHAI


def test_a_letter_title_that_looks_like_a_formula_stays_text() -> None:
    record = {"platform": "jact_demo", "external_id": "1", "title": '=HYPERLINK("http://evil","点我")', "body": "+1",
              "kind": "complain", "topic": "other", "status": "pending", "posted_at": datetime(2025, 9, 1, tzinfo=SHANGHAI),
              "replies": [], "author": "@x", "handling_unit": "-市局"}
    row = row_of(record)
    assert row[3] == "'=HYPERLINK(\"http://evil\",\"点我\")" and row[5] == "'+1" and row[4] == "'@x"
    assert row[10] == "'-市局" and row[12] == "2025-09-01 00:00"
