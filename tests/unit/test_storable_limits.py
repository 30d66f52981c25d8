"""The validation gate's storability checks at their exact bounds and in their exact words: a value at a
column's limit, at year 2 or 9998, or a count of 0 or 2**31-1 is stored; one step past is quarantined with a
reason naming the field (what the operator reads in the quarantine list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from harvester.pipelines.storable import INT32_MAX, count_problem, message_problems, moment_problem, text_problem
from tests.store.builders import letter


class Unanchored(tzinfo):
    """A tzinfo that does not know its offset: the time is as good as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def problems(**fields: Any) -> list[str]:
    """The gate's reasons for the test letter with `fields` set past Message's own checks (as hostile rows are)."""
    message = letter()
    for name, value in fields.items():
        object.__setattr__(message, name, value)
    return message_problems(message)


def test_text_at_its_column_limit_is_stored_and_one_more_character_is_not() -> None:
    assert text_problem("external_id", "9" * 128, 128) is None
    assert text_problem("external_id", "9" * 129, 128) == "external_id is 129 characters, over the 128 its column holds"
    assert text_problem("title", 42) == "title is int, not text"
    assert problems(letter_no="X" * 129) == ["letter_no is 129 characters, over the 128 its column holds"]
    assert problems(letter_no="X" * 128) == []


def test_times_from_year_2_to_9998_are_stored_and_naive_ones_are_named() -> None:
    assert moment_problem("posted_at", datetime(2, 1, 1, tzinfo=UTC)) is None
    assert moment_problem("posted_at", datetime(9998, 12, 31, tzinfo=UTC)) is None
    assert moment_problem("posted_at", datetime(1, 1, 1, tzinfo=UTC)) == "posted_at year 1 is out of range"
    assert moment_problem("posted_at", datetime(9999, 1, 1, tzinfo=UTC)) == "posted_at year 9999 is out of range"
    assert moment_problem("posted_at", datetime(2025, 1, 1, tzinfo=Unanchored())) == "posted_at is a naive datetime"
    assert moment_problem("posted_at", "2025-11-18") == "posted_at is str, not a datetime"
    assert problems(updated_at=datetime(2025, 11, 19, 8, 0)) == ["updated_at is a naive datetime"]


def test_counts_from_0_to_int32_max_are_stored() -> None:
    assert count_problem("views", 0) is None and count_problem("views", INT32_MAX) is None
    assert count_problem("views", -1) == f"views -1 is out of range (0 to {INT32_MAX})"
    assert count_problem("views", INT32_MAX + 1) == f"views {INT32_MAX + 1} is out of range (0 to {INT32_MAX})"
    assert count_problem("likes", True) == "likes is bool, not an integer"


def test_odd_collections_and_flags_are_named() -> None:
    assert problems(overdue="是") == ["overdue is not a boolean"]
    assert problems(replies="已回复") == ["replies is not a sequence"]
    assert problems(replies=("已回复",)) == ["replies[0] is str, not a Reply"]
    assert problems(satisfaction=[("满意", 3)]) == ["satisfaction is not a mapping"]
    assert problems(satisfaction={1: 3}) == ["satisfaction key is int, not text"]
    assert problems(satisfaction={"满意": -1}) == [f"satisfaction value -1 is out of range (0 to {INT32_MAX})"]
    assert problems(satisfaction={"满意": None}) == ["satisfaction value is None, not an integer"]
    assert problems(satisfaction={"满意": 0}) == []
