"""Masking of citizens' personal data (phones, ID numbers, e-mail, names) in text and message records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Digits or ASCII letters right next to a number mean it is part of a code (XF20261118-0031, tid=25445483,
# a 13-digit millisecond timestamp), not a phone or ID number; Chinese text around a number is fine.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", re.ASCII)
_ID_CARD = re.compile(
    _EDGE_BEFORE
    + r"([1-9]\d{5})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([\dXx])"
    + _EDGE_AFTER
)
# Mobiles are written 13812345678, 138-1234-5678 or 138 1234 5678, sometimes with +86 in front.
_MOBILE = re.compile(
    _EDGE_BEFORE + r"((?:\+?86[- ]?)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})" + _EDGE_AFTER
)
# Landlines only with an area code (010-12345678, 0571-87654321, (0571)87654321): a bare 7-8 digit
# number cannot be told apart from a thread id.
_LANDLINE = re.compile(
    _EDGE_BEFORE + r"(\(?0\d{2,3}\)?[- ]?)(\d{3,4})[- ]?(\d{4})" + _EDGE_AFTER
)
# "label: name" as letters and forms print it; the separator is required so that 联系人员 stays intact.
NAME_LABELS = ("联系人", "姓名", "来信人", "留言人", "写信人", "反映人", "投诉人", "举报人", "求助人",
               "申请人", "网友姓名", "真实姓名")
_LABELLED_NAME = re.compile(
    r"((?:" + "|".join(sorted(NAME_LABELS, key=len, reverse=True)).replace("姓名", r"姓\s*名")
    + r")\s*(?:[:：]\s*|\s+))([\u4e00-\u9fff]{2,4})(?![*＊×])"
)
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "公孙", "慕容",
                               "尉迟", "夏侯", "长孙", "宇文", "司徒", "端木", "轩辕", "独孤", "南宫"})
_MASK_CHARS = ("*", "＊", "×")


def mask_name(name: str | None) -> str | None:
    """A person's name with only the surname left: 王小明 -> 王**, 欧阳修 -> 欧阳**.

    Always two stars, so the length of the given name is not revealed. Names a platform already
    masked (陈***) and empty values come back unchanged.
    """
    if not name or not name.strip() or any(c in name for c in _MASK_CHARS):
        return name
    name = name.strip()
    surname = name[:2] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "**"


def _mask_mobile(match: re.Match[str]) -> str:
    return f"{match.group(1)}****{match.group(3)}"


def _mask_landline(match: re.Match[str]) -> str:
    return f"{match.group(1)}****{match.group(3)}"


def _mask_id(match: re.Match[str]) -> str:
    return f"{match.group(1)}********{match.group(0)[-4:]}"


def _mask_email(match: re.Match[str]) -> str:
    return f"{match.group(1)}***@{match.group(2)}"


def _mask_labelled_name(match: re.Match[str]) -> str:
    return match.group(1) + (mask_name(match.group(2)) or "")


def mask_text(text: str) -> str:
    """`text` with mobile and landline numbers, 18-digit ID numbers, e-mail addresses and labelled names
    masked (138****5678, 0571-****4321, 110105********1234, z***@163.com, 联系人：张**).

    Dates, letter numbers (XF20261118-0031) and thread ids (25445483) are left alone. Idempotent.
    """
    if not text:
        return text
    # E-mail first: 13812345678@163.com is a common address, and must lose its local part whole.
    text = _EMAIL.sub(_mask_email, text)
    text = _ID_CARD.sub(_mask_id, text)
    text = _MOBILE.sub(_mask_mobile, text)
    text = _LANDLINE.sub(_mask_landline, text)
    return _LABELLED_NAME.sub(_mask_labelled_name, text)


def _mask_fields(data: Mapping[str, Any], names: Iterable[str], texts: Iterable[str]) -> dict[str, Any]:
    masked = dict(data)
    for key in names:
        if isinstance(masked.get(key), str):
            masked[key] = mask_name(masked[key])
    for key in texts:
        if isinstance(masked.get(key), str):
            masked[key] = mask_text(masked[key])
    return masked


def mask_record(record: Mapping[str, Any], fields: Iterable[str] = ("author",),
                text_fields: Iterable[str] = ("title", "body")) -> dict[str, Any]:
    """A masked copy of a message record; the input is not modified.

    `fields` hold names (masked with `mask_name`), `text_fields` free text (masked with `mask_text`).
    Replies under `replies` get their `title` and `text` masked too (official answers often quote the citizen's
    phone) and their name fields masked (citizen follow-ups carry an author); organisations stay.
    """
    fields, text_fields = tuple(fields), tuple(text_fields)
    masked = _mask_fields(record, fields, text_fields)
    replies = record.get("replies")
    if isinstance(replies, list | tuple):
        masked["replies"] = [_mask_fields(r, fields, ("title", "text")) if isinstance(r, Mapping) else r
                             for r in replies]
    return masked
