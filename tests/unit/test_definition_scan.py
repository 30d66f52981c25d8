"""The generic board scan: ordered text cursors, never past a failed letter, paging down to open letters."""

from __future__ import annotations

from datetime import datetime, timedelta

from spiders.generic.scan import KeyScan, join_key, oldest, order_key


def test_numbers_compare_as_numbers_and_letter_numbers_as_text() -> None:
    assert sorted(["99", "100", "9"], key=order_key) == ["9", "99", "100"]
    assert oldest(["G20261120-0010", "G20261108-0029", "G20261119-0021"]) == "G20261108-0029"
    assert sorted(["AH26111800006", "AH26111500028"], key=order_key)[-1] == "AH26111800006"


def test_the_cursor_moves_to_the_newest_letter_only_when_everything_is_handled() -> None:
    scan = KeyScan("b", old_cursor="G20261101-0001")
    scan.seen |= {"G20261120-0010", "G20261119-0003"}
    scan.requested("a1", "G20261120-0010")
    scan.list_complete = True
    assert not scan.ready()
    scan.handled("a1", ok=True)
    assert scan.ready() and scan.new_cursor() == "G20261120-0010"


def test_the_cursor_never_passes_a_failed_letter() -> None:
    scan = KeyScan("b", old_cursor="100")
    scan.seen |= {"120", "110", "105"}
    for key in ("120", "110"):
        scan.requested(f"letter{key}", key)
    scan.handled("letter120", ok=True)
    scan.handled("letter110", ok=False)
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


def test_two_letters_sharing_a_key_are_tracked_apart_and_a_failure_of_either_holds_the_cursor() -> None:
    """大连 numbered two different letters G20180321-0036. With the number as key, the first detail handled
    used to clear the key while the second was still in flight: the cursor moved past a letter that then
    failed."""
    scan = KeyScan("b", old_cursor="G20180320-0001")
    scan.seen |= {"G20180321-0036", "G20180321-0040"}
    scan.requested("ff01", "G20180321-0036")
    scan.requested("ff02", "G20180321-0036")
    scan.requested("ff03", "G20180321-0040")
    scan.list_complete = True
    scan.handled("ff03", ok=True)
    scan.handled("ff01", ok=True)
    assert not scan.ready()  # ff02 is still in flight under the same number
    scan.handled("ff02", ok=False)
    assert scan.ready() and scan.new_cursor() == "G20180320-0001"


def test_a_joined_key_compares_part_by_part_and_a_bare_number_sorts_before_its_joined_keys() -> None:
    first, second = join_key(["G20180321-0036", "ff808081614bf532016248776d7c57f1"]), \
        join_key(["G20180321-0036", "ff808081614bf5320162487bf52257f8"])
    assert order_key(first) < order_key(second) < order_key(join_key(["G20180321-0037", "00"]))
    assert order_key("G20180321-0036") < order_key(first)  # a cursor stored before the id joined it: read on
    assert sorted(["10|b", "9|z", "10|a"], key=order_key) == ["9|z", "10|a", "10|b"]


def test_paging_reads_on_past_the_cursor_while_a_page_shows_unknown_letters_below_it() -> None:
    """大连's list follows the gdId, not the number: a letter with an older number can be new on page 1; the
    next page may then hold new letters too."""
    scan = KeyScan("b", old_cursor="G20181120-0010|aa")
    assert scan.reached("G20181119-0003|cc", unknown=["G20181121-0001|dd"])  # new and above the cursor: normal
    assert not scan.reached("G20181119-0003|cc", unknown=["G20181106-0026|ee"])  # new yet below: read on
    assert not scan.reached("G20181119-0003|cc", unknown=["G20181120-0010|aa"])


def test_paging_reads_on_while_a_page_ends_with_a_letter_the_store_does_not_know() -> None:
    """A letter a later-started server made stays on top of 大连's list with its old number: page 1 then
    reaches the cursor while the new letters below it run on to page 2."""
    scan = KeyScan("b", old_cursor="G20261120-0001|ff80808167a1d2c0")
    pinned_then_new = ["G20261103-0041|ff80808167a1d2c0", "G20261121-0044|ff808081679c5690"]
    assert not scan.reached(oldest(pinned_then_new), unknown=pinned_then_new[1:], last_known=False)
    assert scan.reached(oldest(pinned_then_new), unknown=pinned_then_new[1:], last_known=True)


def test_a_look_back_window_reads_on_while_pages_show_letters_close_to_the_newest_listed() -> None:
    """大连 lists a letter only once answered, at its posting place: 10% of 3,773 real letters were answered more
    than 22 days after posting, so an incremental harvest reads back that far behind the newest letter."""
    scan = KeyScan("b", old_cursor="G20181201-0001|aa", lookback=timedelta(days=30))
    day = datetime(2018, 12, 31, 12)
    assert scan.within_lookback([day, day - timedelta(days=5)])
    assert scan.within_lookback([day - timedelta(days=20), day - timedelta(days=29)])
    assert not scan.within_lookback([day - timedelta(days=29), day - timedelta(days=31)])
    assert not KeyScan("b", old_cursor="1").within_lookback([day])  # no window: nothing to read back
