"""Normalise and validate: the validation gate turns bad messages into quarantined pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from harvester.extract.snapshot import Snapshot
from harvester.pipelines.normalise import NormalisePipeline, clean_block
from harvester.pipelines.validate import CLOCK_SKEW, EARLIEST_PLAUSIBLE, ValidatePipeline
from harvester.schema import Message, QuarantinedPage, Reply
from harvester.timeutil import parse_local, utcnow
from harvester.vocab import Status

NOW = utcnow()
PAGE = Snapshot(url="http://127.0.0.1/d?transactId=1", status=200, body="<html>原始页面</html>".encode(),
                fetched_at=NOW)


def message(**changes: object) -> Message:
    base = Message(platform="jact_demo", external_id="1", url=PAGE.url, board_id="6", addressee="市长信箱",
                   title="关于人民路积水的问题", body="路面积水严重。", status=Status.PENDING, status_raw="待处理",
                   posted_at=parse_local("2026-11-18 10:02:03"), fetched_at=NOW, source=PAGE)
    return replace(base, **changes)


def test_valid_message_passes_without_its_raw_page() -> None:
    out = ValidatePipeline().process_item(message())
    assert isinstance(out, Message) and out.source is None


def test_gate_fires_on_empty_fields_and_keeps_the_raw_body() -> None:
    out = ValidatePipeline().process_item(message(title="", body=""))
    assert isinstance(out, QuarantinedPage)
    assert "title is empty" in out.reason and "body is empty" in out.reason
    assert out.snapshot.body == PAGE.body


def test_gate_fires_on_future_dates_and_replies_dated_before_the_message() -> None:
    future = ValidatePipeline().process_item(message(posted_at=NOW + timedelta(days=3)))
    assert isinstance(future, QuarantinedPage) and "implausible" in future.reason
    early = Reply(text="已处理", organisation="市城管局", replied_at=parse_local("2026-01-01 00:00"))
    before = ValidatePipeline().process_item(message(replies=(early,)))
    assert isinstance(before, QuarantinedPage) and "before the message" in before.reason


def test_normalise_collapses_full_width_spaces_and_blank_lines() -> None:
    out = NormalisePipeline().process_item(message(title="  关于\u3000人民路 ", body="第一段\r\n\r\n\r\n\r\n 第二段 "))
    assert out.title == "关于 人民路"
    assert out.body == "第一段\n\n第二段"
    assert clean_block("a\u00a0\u00a0b") == "a b"


@pytest.mark.parametrize("name", ["external_id", "url", "title", "body", "addressee", "status_raw"])
def test_gate_fires_on_each_empty_field_alone(name: str) -> None:
    """Each of these makes a message unusable downstream (no identity, no link, nobody addressed, no status)."""
    out = ValidatePipeline().process_item(message(**{name: ""}))
    assert isinstance(out, QuarantinedPage) and out.reason == f"validation failed: {name} is empty"
    assert out.snapshot.body == PAGE.body
    spaces = NormalisePipeline().process_item(message(**{name: " \u3000 "}))  # blank once normalised
    if name not in ("external_id", "url"):  # identity fields are not normalised: blank is not empty there
        assert isinstance(ValidatePipeline().process_item(spaces), QuarantinedPage)


def test_gate_bounds_are_inclusive_and_a_letter_posted_today_passes() -> None:
    """Dates on the bounds pass; a letter posted minutes before it was read is the common case, not an error."""
    for posted_at in (EARLIEST_PLAUSIBLE, NOW + CLOCK_SKEW, NOW - timedelta(minutes=5)):
        assert isinstance(ValidatePipeline().process_item(message(posted_at=posted_at)), Message), posted_at
    assert isinstance(ValidatePipeline().process_item(message(posted_at=EARLIEST_PLAUSIBLE - timedelta(seconds=1))),
                      QuarantinedPage)


def test_gate_on_replies_empty_text_undated_and_the_skew() -> None:
    posted = parse_local("2026-11-18 10:02:03")
    empty = ValidatePipeline().process_item(message(replies=(Reply(text="", organisation="市城管局"),)))
    assert isinstance(empty, QuarantinedPage) and empty.reason == "validation failed: replies[0].text is empty"
    fine = (Reply(text="已处理", organisation="市城管局"),  # undated replies are common on list-only platforms
            Reply(text="已处理", organisation="市城管局", replied_at=posted + timedelta(hours=2)),
            Reply(text="已处理", organisation="市城管局", replied_at=posted - CLOCK_SKEW))  # on the bound
    assert isinstance(ValidatePipeline().process_item(message(replies=fine)), Message)


def test_a_quarantined_message_keeps_who_and_what_and_every_reason() -> None:
    out = ValidatePipeline().process_item(message(title="", body=""))
    assert isinstance(out, QuarantinedPage)
    assert (out.platform, out.external_id) == ("jact_demo", "1")
    assert out.reason == "validation failed: title is empty; body is empty"
    with pytest.raises(ValueError, match="jact_demo/1: invalid message without its source page"):
        ValidatePipeline().process_item(message(title="", source=None))
