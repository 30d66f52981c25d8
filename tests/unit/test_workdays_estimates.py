"""Deadlines in a year no holiday calendar knows: counted Monday to Friday, marked estimated, with a most
generous bound that no published arrangement has ever exceeded."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timedelta
from itertools import accumulate

import chinese_calendar
import pytest

from harvester.holidays import PACKAGE, package_years
from harvester.timeutil import SHANGHAI
from harvester.workdays import (
    LONGEST_BREAK,
    CalendarYearUnknown,
    DeadlinePolicy,
    deadline_for,
    estimate_deadline,
    estimate_margin,
)

FIRST_UNKNOWN = package_years().stop  # 2027 with chinesecalendar 1.11


def extra_needed(days: int) -> int:
    """The most working days any window of `days` real working days in the package's years holds beyond a
    Monday-to-Friday count: what an unknown year's holidays could add, judged by every known year."""
    first = date(package_years().start, 1, 1)
    span = [first + timedelta(days=n) for n in range((date(package_years().stop, 1, 1) - first).days)]
    real = list(accumulate(PACKAGE.is_workday(day) for day in span))
    weekdays = list(accumulate(day.weekday() < 5 for day in span))
    worst = 0
    for start in range(len(span)):
        due = bisect_left(real, real[start] + days)  # index of the `days`-th working day after `start`
        if due == len(span):
            break
        counted = weekdays[due] - weekdays[start] + (span[due].weekday() >= 5)  # to reach a make-up Saturday
        worst = max(worst, counted - days)
    return worst


@pytest.mark.parametrize("days", [1, 5, 10, 20, 40, 60, 120, 250])
def test_the_margin_covers_every_arrangement_the_package_knows(days: int) -> None:
    assert extra_needed(days) <= estimate_margin(days)


def test_the_margin_is_not_wider_than_history_asks() -> None:
    assert extra_needed(5) == LONGEST_BREAK  # e.g. National Day 2025: Oct 1-8 off, six of them weekdays
    assert (estimate_margin(5), estimate_margin(10), estimate_margin(20)) == (7, 7, 8)


def test_in_known_years_the_estimate_is_the_exact_deadline() -> None:
    policy = DeadlinePolicy()
    for day in range(0, 40, 3):
        posted = datetime(2025, 9, 20, 18, 30, tzinfo=SHANGHAI) + timedelta(days=day)
        for kind in ("consult", "complain", "complex"):
            deadline = estimate_deadline(kind, posted, policy)
            assert not deadline.estimated and deadline.due == deadline.latest == deadline_for(kind, posted, policy)


def test_an_unknown_year_is_counted_monday_to_friday_and_says_so() -> None:
    posted = datetime(2099, 1, 8, 10, 0, tzinfo=SHANGHAI)  # a Thursday
    with pytest.raises(CalendarYearUnknown, match="2099"):
        deadline_for("consult", posted)  # the exact count still refuses to guess
    deadline = estimate_deadline("consult", posted)
    assert deadline.estimated and deadline.missing == frozenset({2099})
    assert deadline.due == datetime.combine(date(2099, 1, 15), datetime.max.time(), tzinfo=SHANGHAI)
    assert deadline.latest.date() == date(2099, 1, 26)  # 7 more weekdays: 16, 19, 20, 21, 22, 23, 26


def test_a_deadline_crossing_into_the_first_unknown_year_counts_the_known_days_exactly() -> None:
    last_known = FIRST_UNKNOWN - 1
    posted = datetime(last_known, 12, 24, 10, 0, tzinfo=SHANGHAI)
    known_days = [posted.date() + timedelta(days=n) for n in range(1, 8)]
    worked = sum(PACKAGE.is_workday(day) for day in known_days)  # up to 31 December
    deadline = estimate_deadline("complain", posted)
    assert deadline.missing == frozenset({FIRST_UNKNOWN})
    day, left = date(last_known, 12, 31), 10 - worked
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    assert deadline.due.date() == day
    assert deadline.latest > deadline.due


def test_the_package_calendar_is_chinesecalendar_day_for_day() -> None:
    first = date(package_years().start, 1, 1)
    for day in (first + timedelta(days=n) for n in range((date(package_years().stop, 1, 1) - first).days)):
        assert PACKAGE.is_workday(day) == chinese_calendar.is_workday(day), day
