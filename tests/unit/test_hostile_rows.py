"""One bad row in a list answer is set apart with its raw text and reason; the other rows of the page are read
(jact data proxy answers and pageIndex pages, People's Daily list items; definition lists: see
tests/integration/test_hostile_rows.py). A page whose every row fails is still one
layout change."""

from __future__ import annotations

import json

import pytest

from harvester.extract.errors import LayoutChanged
from spiders.jact import pages
from spiders.people import api as people_api
from tests.unit.test_jact_pages import ROW6, answer, store
from tests.unit.test_people_pages import case as people_case
from tests.unit.test_people_pages import edited

BROKEN = "<tr class='tr_css'><td>XF20261119-0003</td><td><a href='mailpubdetail.do?transactId=48238&sysid=6'>x</a></td></tr>"


def test_a_data_proxy_row_of_the_wrong_shape_is_set_apart_and_the_others_read() -> None:
    listing = pages.parse_list(answer(store([ROW6, BROKEN, {"$where": "1"}, ROW6.replace("48237", "48236")])))
    assert [row.transact_id for row in listing.rows] == ["48237", "48236"]
    assert [(r.raw, r.transact_id) for r in listing.rejected] == [(BROKEN, "48238"), ('{"$where": "1"}', None)]
    assert "a letter row has 2 cells, expected 5 or 6" in listing.rejected[0].reason
    assert "not an array of row strings" in listing.rejected[1].reason
    assert listing.size == 4


def test_rejected_rows_still_count_for_paging() -> None:
    full = pages.parse_list(answer(store([ROW6, BROKEN, ROW6.replace("48237", "48236")])))
    assert pages.proxy_has_more(full, 3, 3)  # three rows came back for three asked: more may follow


def test_a_page_whose_every_row_fails_is_one_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="a letter row has 2 cells"):
        pages.parse_list(answer(store([BROKEN, BROKEN])))


def test_a_people_list_item_of_wrong_types_is_set_apart_and_paging_goes_on_from_the_answers_last_tid() -> None:
    recorded = people_case("list_first_page").snapshot
    raw = json.loads(recorded.body)["resultData"]["data"]
    hostile = edited(recorded, lambda d: d["resultData"]["data"][-1].update(subject=None, stateInfo={"$ne": 1}))
    listing = people_api.parse_list(hostile)
    assert [item.tid for item in listing.items] == [int(e["tid"]) for e in raw[:-1]]
    [rejected] = listing.rejected
    assert json.loads(rejected.raw)["tid"] == raw[-1]["tid"] and "field 'subject' missing" in rejected.reason
    assert listing.size == len(raw) and listing.next_cursor == str(raw[-1]["tid"])
