"""Masking a record's replies: their headings too (a reply titled with the citizen's phone), and entries that
are not mappings pass through untouched."""

from __future__ import annotations

from typing import Any

from harvester.privacy import mask_record


def test_a_reply_heading_is_masked_like_its_text() -> None:
    record: dict[str, Any] = {"title": "噪音投诉", "replies": [
        {"organisation": "市城管局", "title": "关于13812345678来电的答复", "text": "联系人：王小明，已处理。"}]}
    (reply,) = mask_record(record)["replies"]
    assert reply == {"organisation": "市城管局", "title": "关于138****5678来电的答复", "text": "联系人：王**，已处理。"}


def test_replies_that_are_not_mappings_are_kept_as_they_are() -> None:
    record: dict[str, Any] = {"replies": ["13812345678", None, {"text": "13812345678"}]}
    assert mask_record(record)["replies"] == ["13812345678", None, {"text": "138****5678"}]
