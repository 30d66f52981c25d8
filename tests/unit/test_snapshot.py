"""Charset detection: header, then <meta>, then XML declaration; GB2312/GBK decode with GB18030."""

from __future__ import annotations

from harvester.extract.snapshot import Snapshot, declared_encoding
from harvester.timeutil import utcnow

TEXT = "市长信箱：镕基路噪音扰民"  # 镕 is in GBK but not in GB2312


def test_meta_charset_is_honoured_when_the_header_has_none() -> None:
    body = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
            f"<body>{TEXT}</body></html>").encode("gbk")
    snapshot = Snapshot(url="http://x/", status=200, body=body, fetched_at=utcnow(),
                        headers={"content-type": "text/html"})
    assert snapshot.charset == "gb18030"
    assert TEXT in snapshot.text


def test_header_charset_wins_and_xml_declaration_is_read() -> None:
    assert declared_encoding({"content-type": "text/html; charset=UTF-8"}, b'<meta charset="gbk">') == "utf-8"
    assert declared_encoding({}, b'<?xml version="1.0" encoding="gbk"?><root/>') == "gb18030"
    assert declared_encoding({}, b"<html></html>") == "utf-8"
