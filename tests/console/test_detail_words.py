"""The outbox's audit phrases in Chinese on the review page; a person's own words are never translated."""

from __future__ import annotations

import pytest

from harvester.app.console.pages import detail_zh


@pytest.mark.parametrize(("detail", "shown"), [
    ("created", "起草"),
    ("approved (hash 1a2b3c4d5e6f…)", "批准（内容指纹 1a2b3c4d5e6f…）"),
    ("approval voided: text edited", "批准作废：修改正文"),
    ("approval voided: sent back: cancelled 写错了", "批准作废：退回修改：cancelled 写错了"),
    ("与另一答复重复", "与另一答复重复"),
    (None, ""),
])
def test_outbox_phrases_in_chinese(detail: str | None, shown: str) -> None:
    assert detail_zh(detail) == shown
