"""One bad row in a list answer is set apart with its raw text and reason; the other rows of the page are read
(jact data proxy answers and pageIndex pages; definition lists). A page whose every row fails is still one
layout change."""

from __future__ import annotations

import pytest

from harvester.extract.errors import LayoutChanged
from spiders.jact import pages
from tests.unit.test_jact_pages import ROW6, answer, store

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
