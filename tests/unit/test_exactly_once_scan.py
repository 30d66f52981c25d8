"""A board's scan is complete only when its list was read down to the old cursor and every detail page it
started has been handled: until then no cursor is written (a cursor then would pass letters still in flight)."""

from __future__ import annotations

from spiders.scan import BoardScan


def test_a_board_with_detail_pages_still_pending_is_not_complete() -> None:
    scan = BoardScan("6", old_cursor=100)
    scan.seen.update({101, 102, 103})
    for item in (101, 102, 103):
        scan.requested(item)
    scan.list_complete = True
    scan.handled(103, ok=True)
    scan.handled(101, ok=True)
    assert not scan.ready()  # 102 is still being fetched
    scan.handled(102, ok=True)
    assert scan.ready() and scan.new_cursor() == 103
    scan.cursor_emitted = True
    assert not scan.ready()  # once


def test_a_board_whose_list_is_not_read_down_to_the_cursor_is_not_complete() -> None:
    scan = BoardScan("6", old_cursor=100)
    scan.seen.update({105, 104})
    assert not scan.ready()


def test_an_empty_first_scan_has_no_cursor_to_write() -> None:
    scan = BoardScan("6", old_cursor=None)
    scan.list_complete = True
    assert scan.ready() and scan.new_cursor() is None
