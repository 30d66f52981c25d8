"""Export message records as JSON lines or CSV, personal data masked on the way out unless asked otherwise."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Literal, TextIO

from harvester.privacy import mask_record
from harvester.timeutil import to_shanghai

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "platform", "external_id", "url", "letter_no", "title", "body", "author", "kind", "topic", "status",
    "status_raw", "addressee", "region", "posted_at", "updated_at", "views", "likes", "satisfaction",
    "overdue", "handling_unit", "link_group", "reply_count", "last_reply_organisation", "last_reply_title",
    "last_reply_text", "last_replied_at",
)
BOM = "\ufeff"
# Excel runs a cell starting with these as a formula (CSV injection); a citizen can type any title.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    """JSON-ready value: aware datetimes as ISO 8601 in Beijing time, enums as their value."""
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _last_official(replies: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    official = [r for r in replies if r.get("official", True)]
    return official[-1] if official else {}


def csv_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """One flat CSV row: replies become a count plus the last official reply's unit, text and time."""
    data = _plain(record)
    replies = data.get("replies") or []
    last = _last_official(replies)
    row = {column: data.get(column) for column in CSV_COLUMNS}
    if data.get("satisfaction"):
        row["satisfaction"] = json.dumps(data["satisfaction"], ensure_ascii=False)
    row.update(reply_count=len(replies), last_reply_organisation=last.get("organisation"),
               last_reply_title=last.get("title"), last_reply_text=last.get("text"),
               last_replied_at=last.get("replied_at"))
    return row


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_messages(records: Iterable[Mapping[str, Any]], out: TextIO, fmt: Literal["jsonl", "csv"] = "jsonl",
                    full: bool = False, excel: bool = False) -> int:
    """Write one JSON line or CSV row per message record to `out`; return how many were written.

    Names, phones, ID numbers and e-mail addresses are masked (`privacy.mask_record`) unless `full`.
    `excel` (CSV only) starts the file with a UTF-8 BOM so Chinese Excel opens it as UTF-8, and keeps
    cells from being run as formulas. Open `out` with encoding="utf-8" and newline="".
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    prepared = (record if full else mask_record(record) for record in records)
    if fmt == "jsonl":
        return _write_jsonl(prepared, out)
    return _write_csv(prepared, out, excel)


def _write_jsonl(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    written = 0
    for record in records:
        out.write(json.dumps(_plain(record), ensure_ascii=False) + "\n")
        written += 1
    return written


def _write_csv(records: Iterable[Mapping[str, Any]], out: TextIO, excel: bool) -> int:
    if excel:
        out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    written = 0
    for record in records:
        row = csv_row(record)
        writer.writerow({k: _defuse(v) for k, v in row.items()} if excel else row)
        written += 1
    return written
