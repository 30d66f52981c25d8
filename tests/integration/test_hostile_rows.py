"""One row of wrong types in a JSON list answer is quarantined alone, with its raw JSON and the reason; the
other letters on the page are stored, and the board's cursor stays below the bad row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.localserver import PageHandler, served

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "beijing_12345"
DETAIL = (FIXTURES / "detail_replied" / "input.bin").read_bytes()
GOOD = ("AH26111500003", "AH26111500001")
BAD_ROW = {"originalId": "AH26111500002", "letterTitle": {"$gt": ""}, "writeUser": [{"name": "周**"}]}
ROWS = [{"originalId": GOOD[0], "letterTitle": "关于菜市场物业乱收费的问题", "writeUser": "周**"}, BAD_ROW,
        {"originalId": GOOD[1], "letterTitle": "关于新兴路路面破损的问题", "writeUser": "张**"}]


class Hotline(PageHandler):
    """The 12345 list answer (one page of three rows, the middle one hostile) and its detail pages."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(json.dumps({"newComplainnList": ROWS, "PageCond": {"count": len(ROWS)}}, ensure_ascii=False)
                    .encode("utf-8"), "application/json;charset=UTF-8")

    def do_GET(self) -> None:  # noqa: N802
        self.answer(DETAIL, "text/html; charset=UTF-8")


@pytest.fixture
def hotline() -> Iterator[str]:
    with served(Hotline) as url:
        yield url


def test_a_row_of_wrong_types_is_quarantined_alone_and_the_rest_of_the_page_is_stored(
        tmp_path: Path, hotline: str) -> None:
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db_url, {"beijing_12345": hotline}, extra="replica_platforms = true\n")
    assert (BUILTIN_DIR / "beijing_12345.toml").exists()
    result = harvest(config, "beijing_12345")
    with Store.open(db_url) as store, store.transaction() as repo:
        stored = sorted(m["external_id"] for m in repo.iter_messages(platform="beijing_12345"))
        quarantined = repo.quarantined(platform="beijing_12345")
        cursor = repo.get_cursor("beijing_12345", "complain")
    assert stored == sorted(GOOD), result.stdout + result.stderr
    [row] = quarantined
    assert json.loads(row["body"]) == BAD_ROW and row["external_id"] == BAD_ROW["originalId"]
    assert row["reason"] == ("list row: list: title: json:letterTitle is a JSON object, not a value; "
                             "list: author: json:writeUser is a JSON object, not a value")
    assert cursor == GOOD[1]  # below the quarantined row: a later run that reads it can still store it
