"""Quarantined pages are kept whole and deduplicated; board cursors are stored and overwritten."""

from __future__ import annotations

from harvester.schema import BoardCursor
from harvester.store.db import Store
from tests.store.builders import PLATFORM, SEEN, broken_page, later


def test_a_broken_page_is_kept_byte_for_byte_with_its_reason(store: Store, run_id: int) -> None:
    gbk = "<div class='xj_content'>来信内容</div>".encode("gbk")
    page = broken_page(body=gbk)
    with store.transaction() as repo:
        assert repo.quarantine_page(page, run_id) == "inserted"
        [row] = repo.quarantined(platform=PLATFORM)
    assert row["body"] == gbk and isinstance(row["body"], bytes)
    assert row["reason"] == "来信时间 not found" and row["url"] == page.snapshot.url
    assert row["headers"] == {"content-type": "text/html; charset=utf-8"} and row["status_code"] == 200
    assert (row["times_seen"], row["first_seen_at"], row["run_id"]) == (1, SEEN, run_id)


def test_the_same_broken_page_again_is_counted_not_duplicated(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        second_run = repo.start_run(PLATFORM, 1)
        assert repo.quarantine_page(broken_page(), run_id) == "inserted"
    with store.transaction() as repo:
        assert repo.quarantine_page(broken_page(fetched_at=later(6)), second_run) == "repeated"
        [row] = repo.quarantined()
    assert row["times_seen"] == 2
    assert (row["first_seen_at"], row["last_seen_at"]) == (SEEN, later(6))
    assert (row["run_id"], row["last_run_id"]) == (run_id, second_run)


def test_a_different_body_or_url_is_a_new_quarantine_row(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        repo.quarantine_page(broken_page(), run_id)
        assert repo.quarantine_page(broken_page(body=b"<html>changed</html>"), run_id) == "inserted"
        assert repo.quarantine_page(broken_page(url="http://127.0.0.1:8601/x?transactId=10"), run_id) == "inserted"
        assert repo.counts()["quarantine"] == 3
        assert len(repo.quarantined(platform="elsewhere")) == 0


def test_cursor_is_none_until_set_then_the_latest_value(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        assert repo.get_cursor(PLATFORM, "mayor") is None
        repo.set_cursor(BoardCursor(PLATFORM, "mayor", "25445400"), run_id)
    with store.transaction() as repo:
        assert repo.get_cursor(PLATFORM, "mayor") == "25445400"
        repo.set_cursor(BoardCursor(PLATFORM, "mayor", "25445483"), run_id)
        repo.set_cursor(BoardCursor(PLATFORM, "party_secretary", "17"), run_id)
    with store.transaction() as repo:
        assert repo.get_cursor(PLATFORM, "mayor") == "25445483"
        assert repo.get_cursor(PLATFORM, "party_secretary") == "17"
        assert repo.get_cursor("other_platform", "mayor") is None


def test_a_cursor_written_in_a_failed_transaction_is_not_kept(store: Store, run_id: int) -> None:
    try:
        with store.transaction() as repo:
            repo.set_cursor(BoardCursor(PLATFORM, "mayor", "25445483"), run_id)
            raise OSError("disk full")
    except OSError:
        pass
    with store.transaction() as repo:
        assert repo.get_cursor(PLATFORM, "mayor") is None
