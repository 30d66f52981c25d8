"""jact: one malformed row in a data proxy answer is quarantined alone with its markup and reason; the other
letters of the answer are stored, and the board's cursor stays below the bad row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.localserver import PageHandler, served
from tests.unit.test_hostile_rows import BROKEN
from tests.unit.test_jact_pages import ROW6

DETAIL = (Path(__file__).resolve().parent.parent / "fixtures" / "jact_demo" / "detail_replied_with_attachment"
          / "input.bin").read_bytes()
MIDDLE = BROKEN.replace("48238", "48236")  # between the two good letters: the cursor must stay below it
ROWS = [ROW6, MIDDLE, ROW6.replace("48237", "48235")]


class Mailbox(PageHandler):
    """The data proxy (one short answer: the list ends there) and the detail pages."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        text = f"totalRecord = {len(ROWS)};\ndataStore = {json.dumps(ROWS, ensure_ascii=False)};"
        self.answer(text.encode("utf-8"), "text/javascript; charset=UTF-8")

    def do_GET(self) -> None:  # noqa: N802
        self.answer(DETAIL, "text/html; charset=UTF-8")


@pytest.fixture
def mailbox() -> Iterator[str]:
    with served(Mailbox) as url:
        yield url


def test_a_malformed_row_is_quarantined_alone_and_the_other_letters_are_stored(tmp_path: Path, mailbox: str) -> None:
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": mailbox})
    result = harvest(config, "jact_demo")
    with Store.open(db_url) as store, store.transaction() as repo:
        stored = sorted(m["external_id"] for m in repo.iter_messages(platform="jact_demo"))
        quarantined = repo.quarantined(platform="jact_demo")
        cursor = repo.get_cursor("jact_demo", "6")
    assert stored == ["48235", "48237"], result.stdout + result.stderr
    [row] = quarantined
    assert row["body"].decode("utf-8") == MIDDLE and row["external_id"] == "48236"
    assert row["reason"] == "list row: list: a letter row has 2 cells, expected 5 or 6"
    assert cursor == "48235"  # below 48236: a later run that reads it can still store it
