"""The run verdict: success only when nothing failed, and a layout change is never a quiet success."""

from __future__ import annotations

from harvester.runs import FetchFailure, verdict


def stats(**values: int) -> dict[str, int]:
    return {f"harvester/{k}": v for k, v in values.items()} | {"downloader/request_count": 10}


def test_a_clean_crawl_succeeds_with_its_counts() -> None:
    result = verdict("finished", [], stats(items=8, new=8, quarantined=1))
    assert (result.outcome, result.counts["new"], result.counts["requests"]) == ("succeeded", 8, 10)


def test_mostly_quarantined_pages_fail_as_layout_changed() -> None:
    result = verdict("finished", [], stats(items=0, quarantined=9))
    assert (result.outcome, result.failure_class) == ("failed", "layout_changed")
    assert "9 page(s) quarantined" in (result.error or "")
    assert verdict("finished", [], stats(items=8, quarantined=2)).outcome == "failed"


def test_request_failures_and_early_close_and_errors_fail() -> None:
    failed = verdict("finished", [FetchFailure("http://x/1", "blocked", "HTTP 403")], stats(items=3))
    assert (failed.outcome, failed.failure_class) == ("failed", "blocked")
    assert "http://x/1: HTTP 403" in (failed.error or "")
    mixed = verdict("finished", [FetchFailure("a", "blocked", "x"), FetchFailure("b", "network", "y")], {})
    assert mixed.failure_class == "mixed"
    assert verdict("shutdown", [], {}).failure_class == "interrupted"
    assert verdict("finished", [], {"spider_exceptions/KeyError": 2}).failure_class == "crashed"
    assert verdict("finished", [], {"log_count/ERROR": 2}).outcome == "succeeded"  # another crawler's errors


def test_an_empty_board_that_may_be_empty_says_so_and_any_row_listed_means_it_was_not() -> None:
    empty = verdict("finished", [], stats(empty_by_design=1, listed=0, items=0))
    assert (empty.outcome, empty.failure_class) == ("succeeded", "empty_by_design")
    assert verdict("finished", [], stats(empty_by_design=1, listed=4, items=0)).failure_class is None
    assert verdict("finished", [], stats(listed=0, items=0)).failure_class is None  # for zero_items to judge
