"""Exports: one line or row per message, masked unless full, readable by Chinese Excel."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.vocab import Kind, Status
from sinks.export import CSV_COLUMNS, export_messages


def _record(external_id: str = "25445483", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "platform": "jact", "external_id": external_id, "url": f"http://127.0.0.1/t/{external_id}",
        "letter_no": "XF20261118-0031", "title": "小区噪音扰民", "body": "联系人：张三，电话13812345678",
        "author": "张三", "kind": Kind.COMPLAIN, "status": Status.REPLIED,
        "posted_at": datetime(2025, 11, 18, 1, 30, tzinfo=UTC), "satisfaction": {"满意": 3},
        "replies": [
            {"organisation": "区住建局", "text": "初步答复",
             "replied_at": datetime(2025, 11, 19, 2, 0, tzinfo=UTC), "official": True},
            {"organisation": "市城管局", "text": "已联系13812345678核实。",
             "replied_at": datetime(2025, 11, 20, 8, 0, tzinfo=UTC), "official": True},
            {"organisation": None, "text": "谢谢", "author": "张三", "official": False},
        ],
    }
    record.update(overrides)
    return record


def test_jsonl_is_one_masked_line_per_message() -> None:
    out = io.StringIO()
    assert export_messages([_record("1"), _record("2")], out, fmt="jsonl") == 2
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["external_id"] == "1" and first["author"] == "张**"
    assert first["body"] == "联系人：张**，电话138****5678"
    assert first["replies"][1]["text"] == "已联系138****5678核实。"
    assert first["posted_at"] == "2025-11-18T09:30:00+08:00"
    assert first["kind"] == "complain" and first["status"] == "replied"
    assert "13812345678" not in out.getvalue() and "张三" not in out.getvalue()


def test_full_export_keeps_personal_data() -> None:
    out = io.StringIO()
    export_messages([_record()], out, fmt="jsonl", full=True)
    line = json.loads(out.getvalue())
    assert line["author"] == "张三" and "13812345678" in line["body"]


def test_csv_flattens_replies_to_a_count_and_the_last_official_reply() -> None:
    out = io.StringIO(newline="")
    assert export_messages([_record(), _record("2", replies=[])], out, fmt="csv") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 2
    assert rows[0]["reply_count"] == "3"
    assert rows[0]["last_reply_organisation"] == "市城管局"
    assert rows[0]["last_reply_text"] == "已联系138****5678核实。"
    assert rows[0]["last_replied_at"] == "2025-11-20T16:00:00+08:00"
    assert rows[0]["author"] == "张**" and rows[0]["satisfaction"] == '{"满意": 3}'
    assert rows[1]["reply_count"] == "0" and rows[1]["last_reply_text"] == ""


def test_csv_for_excel_has_a_bom_and_defused_formulas(tmp_path: Path) -> None:
    path = tmp_path / "messages.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        export_messages([_record(title="=HYPERLINK(\"http://evil\")")], handle, fmt="csv", excel=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfplatform,external_id,")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["title"] == "'=HYPERLINK(\"http://evil\")"
    assert row["body"] == "联系人：张**，电话138****5678"


def test_plain_csv_has_no_bom() -> None:
    out = io.StringIO()
    export_messages([_record()], out, fmt="csv")
    assert out.getvalue().startswith("platform,")


def test_unknown_format_writes_nothing() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError, match="xlsx"):
        export_messages([_record()], out, fmt="xlsx")  # type: ignore[arg-type]
    assert out.getvalue() == ""


def test_input_records_are_not_modified() -> None:
    record = _record()
    export_messages([record], io.StringIO(), fmt="csv")
    assert record["author"] == "张三" and record["replies"][1]["text"] == "已联系13812345678核实。"
