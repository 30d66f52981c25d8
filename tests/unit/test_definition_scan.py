"""The generic board scan: ordered text cursors, never past a failed letter, paging down to open letters."""

from __future__ import annotations

from spiders.generic.scan import KeyScan, oldest, order_key


def test_numbers_compare_as_numbers_and_letter_numbers_as_text() -> None:
    assert sorted(["99", "100", "9"], key=order_key) == ["9", "99", "100"]
    assert oldest(["G20261120-0010", "G20261108-0029", "G20261119-0021"]) == "G20261108-0029"
    assert sorted(["AH26111800006", "AH26111500028"], key=order_key)[-1] == "AH26111800006"


def test_the_cursor_moves_to_the_newest_letter_only_when_everything_is_handled() -> None:
    scan = KeyScan("b", old_cursor="G20261101-0001")
    scan.seen |= {"G20261120-0010", "G20261119-0003"}
    scan.requested("G20261120-0010")
    scan.list_complete = True
    assert not scan.ready()
    scan.handled("G20261120-0010", ok=True)
    assert scan.ready() and scan.new_cursor() == "G20261120-0010"


def test_the_cursor_never_passes_a_failed_letter() -> None:
    scan = KeyScan("b", old_cursor="100")
    scan.seen |= {"120", "110", "105"}
    for key in ("120", "110"):
        scan.requested(key)
    scan.handled("120", ok=True)
    scan.handled("110", ok=False)
    scan.list_complete = True
    assert scan.new_cursor() == "105"
    stuck = KeyScan("b", old_cursor="100", failed={"101"}, seen={"120"})
    assert stuck.new_cursor() == "100"


def test_paging_stops_at_the_cursor_or_goes_down_to_the_oldest_open_letter() -> None:
    assert not KeyScan("b", old_cursor=None).reached("1")  # first run: the whole list
    scan = KeyScan("b", old_cursor="500")
    assert scan.reached("480") and not scan.reached("520")
    scan.floor = "300"
    assert not scan.reached("480") and scan.reached("290")
