"""Board cursors never move past a letter that was not stored."""

from __future__ import annotations

from spiders.scan import BoardScan


def test_cursor_is_the_highest_id_seen_when_everything_was_handled() -> None:
    scan = BoardScan("6", old_cursor=100)
    scan.seen.update({101, 102, 103})
    for item in (101, 102, 103):
        scan.requested(item)
    assert not scan.ready()
    scan.list_complete = True
    for item in (101, 102, 103):
        scan.handled(item, ok=True)
    assert scan.ready()
    assert scan.new_cursor() == 103


def test_cursor_stops_below_the_oldest_failed_letter() -> None:
    scan = BoardScan("6", old_cursor=100)
    scan.seen.update({101, 102, 103, 104})
    scan.handled(102, ok=False)
    assert scan.new_cursor() == 101


def test_cursor_never_moves_backwards_or_on_a_broken_list() -> None:
    scan = BoardScan("6", old_cursor=100)
    scan.seen.update({101, 102})
    scan.handled(101, ok=False)
    assert scan.new_cursor() == 100
    scan.list_complete, scan.list_broken = True, True
    assert not scan.ready()


def test_first_scan_reaches_no_cursor_and_pages_on() -> None:
    scan = BoardScan("6", old_cursor=None)
    assert not scan.reached_cursor(1)
    assert BoardScan("6", old_cursor=50).reached_cursor(50)
