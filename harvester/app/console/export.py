"""The ledger's filtered view as CSV (UTF-8 with BOM, for Excel) or XLSX; cells that a spreadsheet would run as
a formula are quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

from harvester.app.console.pages import KINDS, STATUS_NAMES, TOPIC_NAMES, beijing

COLUMNS = ("平台", "编号", "信件编号", "标题", "留言人", "内容", "类型", "主题", "状态", "平台状态", "办理单位",
           "留言对象", "留言时间", "回复单位", "回复时间", "一稿多投组", "原文链接")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def row_of(record: Mapping[str, Any]) -> list[str]:
    """One letter as the export's cells (already masked as the reader may see it)."""
    official = [r for r in record.get("replies", []) if r.get("official")]
    last = official[-1] if official else {}
    values = [record["platform"], record["external_id"], record.get("letter_no"), record["title"],
              record.get("author"), record["body"], KINDS.get(record["kind"], record["kind"]),
              TOPIC_NAMES.get(record["topic"], record["topic"]),
              STATUS_NAMES.get(record["status"], record["status"]), record.get("status_raw"),
              record.get("handling_unit"), record.get("addressee"), beijing(record["posted_at"]),
              last.get("organisation"), beijing(last.get("replied_at")), record.get("link_group"), record.get("url")]
    return [_safe("" if value is None else str(value)) for value in values]


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def to_csv(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
