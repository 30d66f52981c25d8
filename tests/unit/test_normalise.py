"""Normalisation before the gate: every line ending becomes LF, the author and each reply are cleaned like the
message, and items that are not messages pass through untouched."""

from __future__ import annotations

from datetime import datetime

from harvester.pipelines.normalise import NormalisePipeline, clean_block, normalise_message
from harvester.pipelines.validate import ValidatePipeline
from harvester.schema import BoardCursor, Message, QuarantinedPage, Reply, Snapshot
from harvester.timeutil import SHANGHAI
from harvester.vocab import Status

SEEN = datetime(2025, 11, 20, 8, 0, tzinfo=SHANGHAI)


def message(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "platform": "jact_demo", "external_id": "25445483", "url": "http://127.0.0.1/letter/25445483",
        "board_id": "mayor", "addressee": "市长信箱", "title": "工地夜间施工", "body": "每晚施工。",
        "status": Status.PENDING, "status_raw": "待回复", "posted_at": SEEN, "fetched_at": SEEN}
    return Message(**(fields | overrides))  # type: ignore[arg-type]


def test_windows_and_old_mac_line_endings_become_lf() -> None:
    assert clean_block("第一段\r\n第二段\r第三段\r\n\r\n\r\n第四段") == "第一段\n第二段\n第三段\n\n第四段"


def test_the_author_is_cleaned_and_an_empty_author_is_none() -> None:
    assert normalise_message(message(author="\u3000王**  ")).author == "王**"
    assert normalise_message(message(author="")).author is None
    assert normalise_message(message(author=None)).author is None


def test_every_reply_is_normalised_with_the_message() -> None:
    raw = Reply(text=" 已派人核查。\r\n\r\n\r\n整改完毕。 ", organisation="\u3000市住建局 ", title=" 答复\u00a0意见 ")
    (reply,) = normalise_message(message(replies=(raw,))).replies
    assert (reply.text, reply.organisation, reply.title) == ("已派人核查。\n\n整改完毕。", "市住建局", "答复 意见")


def test_items_that_are_not_messages_pass_through_untouched() -> None:
    cursor = BoardCursor("jact_demo", "mayor", " 25445483 ")
    assert NormalisePipeline().process_item(cursor) is cursor
    cleaned = NormalisePipeline().process_item(message(title=" 工地\u3000夜间施工 "))
    assert cleaned.title == "工地 夜间施工"


def test_a_field_that_is_not_text_reaches_the_gate_and_is_quarantined_with_its_page() -> None:
    # A parser's bug (a number or None where text belongs) must not crash normalisation and lose the page:
    # the gate quarantines the raw page, naming the field.
    page = Snapshot(url="http://127.0.0.1/letter/25445483", status=200, body="<html>原始页面</html>".encode(),
                    fetched_at=SEEN)
    cases: list[tuple[dict[str, object], str]] = [
        ({"title": None}, "title"), ({"body": 2025}, "body"), ({"addressee": b"\xe5\xb8\x82"}, "addressee"),
        ({"replies": (Reply(text=None),)}, "replies[0].text"),  # type: ignore[arg-type]
        ({"replies": None}, "replies"), ({"replies": ("已转办",)}, "replies[0]")]
    for broken, field in cases:
        normalised = NormalisePipeline().process_item(message(source=page, **broken))
        result = ValidatePipeline().process_item(normalised)
        assert isinstance(result, QuarantinedPage), broken
        assert result.snapshot.body == page.body
        assert field in result.reason, (broken, result.reason)
