"""Deadline policies and calendars reach every count: overrides (0 allowed, negatives and unknown kinds named),
overdue verdicts and estimates under a policy, and counts backwards through an operator's holidays file."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from harvester.holidays import WorkCalendar, load_holidays
from harvester.timeutil import SHANGHAI
from harvester.workdays import (
    CalendarYearUnknown,
    DeadlinePolicy,
    deadline_for,
    estimate_deadline,
    is_overdue,
    workdays_between,
)

FRIDAY_EVENING = datetime(2025, 9, 26, 18, 30, tzinfo=SHANGHAI)  # the Friday before National Day 2025
# Test data, not a real arrangement: 2027 is a year chinesecalendar 1.11 does not know.
ARRANGEMENT_2027 = """
[2027]
source = "test arrangement"
holidays = ["2027-03-15..2027-03-16"]
workdays = [2027-03-20]
"""
FRIDAY_2027 = datetime(2027, 3, 12, 18, 0, tzinfo=SHANGHAI)


@pytest.fixture
def calendar_2027(tmp_path: Path) -> WorkCalendar:
    path = tmp_path / "holidays.toml"
    path.write_text(ARRANGEMENT_2027, encoding="utf-8")
    return WorkCalendar(load_holidays(path))


def test_an_override_of_zero_days_is_due_the_same_day_and_a_negative_or_unknown_one_is_named() -> None:
    same_day = DeadlinePolicy.from_mapping({"consult": 0})
    assert deadline_for("consult", FRIDAY_EVENING, same_day) == datetime.combine(
        date(2025, 9, 26), time.max, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="deadline for 'consult' must not be negative, got -1"):
        DeadlinePolicy.from_mapping({"consult": -1})
    with pytest.raises(KeyError, match="known: complain, complex_days, consult, help, other, praise, report, suggest"):
        DeadlinePolicy.from_mapping({"enquiry": 3})


def test_overdue_and_estimates_follow_the_policy() -> None:
    quick = DeadlinePolicy(consult=3)  # Sep 28 (a make-up Sunday), 29, 30
    october_first = datetime(2025, 10, 1, 9, 0, tzinfo=SHANGHAI)
    assert is_overdue("consult", FRIDAY_EVENING, october_first, quick)
    assert not is_overdue("consult", FRIDAY_EVENING, october_first)
    assert estimate_deadline("consult", FRIDAY_EVENING, quick).due.date() == date(2025, 9, 30)
    assert estimate_deadline("consult", FRIDAY_EVENING).due.date() == date(2025, 10, 10)


def test_overdue_and_backward_counts_use_the_operators_calendar(calendar_2027: WorkCalendar) -> None:
    # Mon 15 and Tue 16 off; Wed 17, Thu 18, Fri 19, Saturday 20 (worked in exchange), Mon 22.
    due_day = datetime(2027, 3, 22, 12, 0, tzinfo=SHANGHAI)
    assert not is_overdue("consult", FRIDAY_2027, due_day, calendar=calendar_2027)
    assert is_overdue("consult", FRIDAY_2027, datetime(2027, 3, 23, 0, 0, tzinfo=SHANGHAI), calendar=calendar_2027)
    assert workdays_between(due_day, FRIDAY_2027, calendar_2027) == -5
    with pytest.raises(CalendarYearUnknown):
        workdays_between(due_day, FRIDAY_2027)


def test_the_next_working_day_counts_one() -> None:
    monday = datetime(2025, 9, 22, 9, 0, tzinfo=SHANGHAI)
    assert workdays_between(monday, datetime(2025, 9, 23, 9, 0, tzinfo=SHANGHAI)) == 1
    assert workdays_between(FRIDAY_EVENING, datetime(2025, 9, 28, 9, 0, tzinfo=SHANGHAI)) == 1  # make-up Sunday
