"""Pages are decoded as browsers do: BOM, then the HTTP header, then <meta>; a declared charset that does not fit
the bytes is replaced by detection, and a quarantine reason says which charset was declared and which was used."""

from __future__ import annotations

from harvester.extract.quarantine import quarantine_record
from harvester.extract.snapshot import Snapshot
from harvester.pipelines.validate import ValidatePipeline
from harvester.schema import QuarantinedPage
from harvester.timeutil import utcnow
from tests.unit.test_pipelines import message

LABELS = "<table><tr><th>来信标题</th><td>关于镕基路噪音扰民的问题</td></tr><tr><th>来信时间</th></tr></table>"


def page(body: bytes, content_type: str = "text/html; charset=utf-8", encoding: str | None = None) -> Snapshot:
    return Snapshot(url="http://x/letter?id=1", status=200, body=body, fetched_at=utcnow(),
                    headers={"content-type": content_type}, encoding=encoding)


def test_a_page_declaring_utf8_but_written_in_gbk_reads_as_gbk() -> None:
    snapshot = page(f"<html><body>{LABELS}</body></html>".encode("gbk"))
    assert "来信标题" in snapshot.text and "\ufffd" not in snapshot.text
    assert snapshot.charset == "gb18030"
    assert (snapshot.decoded.declared, snapshot.decoded.detected) == ("utf-8", True)


def test_its_quarantine_reason_names_the_declared_and_the_used_charset() -> None:
    snapshot = page(f"<html><body>{LABELS}</body></html>".encode("gbk"))
    record = quarantine_record("demo", snapshot, "list: 来信时间 not found")
    assert record.reason == "list: 来信时间 not found [charset: declared utf-8, decoded as gb18030 (detected)]"
    assert record.snapshot.body == snapshot.body


def test_the_validation_gate_says_it_too() -> None:
    gbk = page(f"<html><body>{LABELS}</body></html>".encode("gbk"))
    record = ValidatePipeline().process_item(message(body="", source=gbk))
    assert isinstance(record, QuarantinedPage)
    assert record.reason == "validation failed: body is empty [charset: declared utf-8, decoded as gb18030 (detected)]"


def test_a_page_that_fits_its_declared_charset_gets_no_note() -> None:
    snapshot = page(LABELS.encode("utf-8"))
    assert snapshot.text == LABELS and snapshot.decoded.note() is None
    assert quarantine_record("demo", snapshot, "layout changed").reason == "layout changed"


def test_the_byte_order_mark_wins_over_the_header_as_in_browsers() -> None:
    snapshot = page(b"\xef\xbb\xbf" + LABELS.encode("utf-8"), content_type="text/html; charset=gbk")
    assert snapshot.text == LABELS and snapshot.charset == "utf-8"


def test_meta_is_read_when_the_header_names_no_charset_and_gb2312_widens_to_gb18030() -> None:
    body = f'<html><head><meta charset="gb2312"></head><body>{LABELS}</body></html>'.encode("gbk")
    snapshot = page(body, content_type="text/html")
    assert snapshot.charset == "gb18030" and "镕基路" in snapshot.text and snapshot.decoded.note() is None


def test_bytes_no_charset_decodes_keep_replacement_characters_and_say_so() -> None:
    snapshot = page(LABELS.encode("utf-8")[:-3] + b"\xff\xfe\xff" + b"</table>")
    note = snapshot.decoded.note()
    assert "\ufffd" in snapshot.text and note is not None
    assert note.startswith("charset: declared utf-8, decoded as ") and "undecodable" in note


def test_an_unknown_declared_label_is_ignored_like_browsers_do() -> None:
    snapshot = page(LABELS.encode("utf-8"), content_type="text/html; charset=x-no-such-charset")
    assert snapshot.text == LABELS


def test_a_platform_charset_label_is_read_as_browsers_read_it_and_an_unknown_one_ignored() -> None:
    body = f'<html><head><meta charset="gbk"></head><body>{LABELS}</body></html>'.encode("gbk")
    named = page(body, content_type="text/html", encoding="GB_2312-80")
    assert named.charset == "gb18030" and "镕基路" in named.text and named.decoded.declared == "gb18030"
    unknown = page(body, content_type="text/html", encoding="x-no-such-charset")
    assert unknown.charset == "gb18030" and "镕基路" in unknown.text
    assert unknown.decoded.declared == "gb18030"  # what the page itself declares, not nothing


def test_a_page_declaring_utf7_is_not_decoded_as_utf7() -> None:
    # UTF-7 spells "<" as "+ADw-": a page declaring it could smuggle markup past filters; browsers dropped it.
    snapshot = page(b"<p>+ADw-script+AD4-</p>", content_type="text/html; charset=utf-7")
    assert snapshot.charset == "utf-8" and "<script>" not in snapshot.text
