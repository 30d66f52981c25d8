"""A site that declares UTF-8 but writes GBK is harvested as a browser would show it: the letters are stored
with their Chinese text, nothing is quarantined as mojibake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.localserver import PageHandler, served

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "beijing_12345"
DETAIL_GBK = (FIXTURES / "detail_replied" / "input.bin").read_bytes().decode("utf-8").encode("gbk")
ROWS = [{"originalId": "AH26111500002", "letterTitle": "关于菜市场物业乱收费的问题", "writeUser": "周**"},
        {"originalId": "AH26111500001", "letterTitle": "关于新兴路路面破损的问题", "writeUser": "张**"}]


class LyingHotline(PageHandler):
    """The list answer in UTF-8; every detail page in GBK under a header that says UTF-8."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"newComplainnList": ROWS, "PageCond": {"count": len(ROWS)}}, ensure_ascii=False)
        self.answer(body.encode("utf-8"))

    def do_GET(self) -> None:  # noqa: N802
        self.answer(DETAIL_GBK)


@pytest.fixture
def lying_site() -> Iterator[str]:
    with served(LyingHotline) as url:
        yield url


def test_gbk_pages_declared_utf8_are_stored_readable_not_quarantined(tmp_path: Path, lying_site: str) -> None:
    expected = json.loads((FIXTURES / "detail_replied" / "expected.json").read_text(encoding="utf-8"))
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db_url, {"beijing_12345": lying_site}, extra="replica_platforms = true\n")
    result = harvest(config, "beijing_12345")
    with Store.open(db_url) as store, store.transaction() as repo:
        stored = {m["external_id"]: m for m in repo.iter_messages(platform="beijing_12345")}
        quarantined = repo.quarantined(platform="beijing_12345")
    assert quarantined == [] and set(stored) == {row["originalId"] for row in ROWS}, result.stdout + result.stderr
    assert {m["body"] for m in stored.values()} == {expected["body"]}
    assert {m["title"] for m in stored.values()} == {expected["title"]}
