"""Working-day deadlines across real Chinese holidays and make-up working days (调休)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from harvester.timeutil import SHANGHAI, NaiveDatetime
from harvester.workdays import (
    CalendarYearUnknown,
    DeadlinePolicy,
    add_workdays,
    deadline_for,
    is_overdue,
    is_workday,
    workdays_between,
)

FRIDAY_EVENING = datetime(2025, 9, 26, 18, 30, tzinfo=SHANGHAI)  # the Friday before National Day 2025


def test_calendar_knows_the_2025_golden_week_and_its_make_up_days() -> None:
    assert not is_workday(date(2025, 10, 8))  # Mid-Autumn joined National Day: Oct 1-8 off
    assert is_workday(date(2025, 9, 28))  # a Sunday worked in exchange
    assert is_workday(date(2025, 10, 11))  # a Saturday worked in exchange
    assert not is_workday(date(2025, 9, 27))  # an ordinary Saturday


def test_five_working_days_from_friday_evening_cross_national_day() -> None:
    # Sep 28 (make-up Sunday), 29, 30, then Oct 1-8 off, then Oct 9 and 10.
    assert add_workdays(FRIDAY_EVENING, 5) == datetime(2025, 10, 10, 18, 30, tzinfo=SHANGHAI)


def test_ten_working_days_count_the_make_up_saturday() -> None:
    # ... Oct 10 is the 5th, Saturday Oct 11 the 6th, then Oct 13-16.
    assert add_workdays(FRIDAY_EVENING, 10) == datetime(2025, 10, 16, 18, 30, tzinfo=SHANGHAI)
    assert add_workdays(FRIDAY_EVENING, 6).date() == date(2025, 10, 11)


def test_spring_festival_2026() -> None:
    thursday = datetime(2026, 2, 12, 9, 0, tzinfo=SHANGHAI)
    # Feb 13, make-up Saturday Feb 14, Feb 15-23 off, then Feb 24-26.
    assert add_workdays(thursday, 5).date() == date(2026, 2, 26)
    # Feb 27, make-up Saturday Feb 28, Mar 2-4.
    assert add_workdays(thursday, 10).date() == date(2026, 3, 4)


def test_counting_uses_the_beijing_date_not_the_utc_date() -> None:
    # 16:30 UTC on Saturday Sep 27 is 00:30 on Sunday Sep 28 in Beijing, itself a working day, so the first
    # working day counted is Monday Sep 29 (counting from the UTC date would give Sunday Sep 28).
    assigned = datetime(2025, 9, 27, 16, 30, tzinfo=UTC)
    assert add_workdays(assigned, 1) == datetime(2025, 9, 29, 0, 30, tzinfo=SHANGHAI)


def test_workdays_between_is_the_inverse_of_add_workdays() -> None:
    assert workdays_between(FRIDAY_EVENING, datetime(2025, 10, 16, 9, 0, tzinfo=SHANGHAI)) == 10
    assert workdays_between(datetime(2025, 10, 16, tzinfo=SHANGHAI), FRIDAY_EVENING) == -10
    golden_week = datetime(2025, 10, 1, tzinfo=SHANGHAI), datetime(2025, 10, 8, tzinfo=SHANGHAI)
    assert workdays_between(*golden_week) == 0
    for days in (0, 1, 4, 7, 23):
        assert workdays_between(FRIDAY_EVENING, add_workdays(FRIDAY_EVENING, days)) == days


def test_unknown_year_is_a_clear_error_naming_it() -> None:
    last_known = max(chinese_calendar.holidays).year  # 2026 in chinesecalendar 1.11
    with pytest.raises(CalendarYearUnknown, match=str(last_known + 1)) as caught:
        add_workdays(datetime(last_known, 12, 30, 10, 0, tzinfo=SHANGHAI), 5)
    assert caught.value.year == last_known + 1


def test_naive_and_negative_inputs_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        add_workdays(datetime(2025, 9, 26, 18, 30), 5)
    with pytest.raises(ValueError, match="negative"):
        add_workdays(FRIDAY_EVENING, -1)


def test_deadline_is_the_end_of_the_last_working_day_per_kind() -> None:
    end_of_oct_10 = datetime(2025, 10, 10, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert deadline_for("consult", FRIDAY_EVENING) == end_of_oct_10
    assert deadline_for("complain", FRIDAY_EVENING).date() == date(2025, 10, 16)
    assert deadline_for("complex", FRIDAY_EVENING).date() == date(2025, 10, 30)


def test_policy_overrides_from_a_mapping() -> None:
    policy = DeadlinePolicy.from_mapping({"consult": 3, "complex": 15})
    assert (policy.consult, policy.complex_days, policy.suggest) == (3, 15, 5)
    # Sep 28, 29, 30 are the three working days before the holiday.
    assert deadline_for("consult", FRIDAY_EVENING, policy).date() == date(2025, 9, 30)
    with pytest.raises(KeyError, match="enquiry"):
        DeadlinePolicy.from_mapping({"enquiry": 3})
    with pytest.raises(KeyError, match="petition"):
        deadline_for("petition", FRIDAY_EVENING)


def test_overdue_only_after_the_last_working_day_ends() -> None:
    deadline = datetime(2025, 10, 10, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert not is_overdue("suggest", FRIDAY_EVENING, deadline)
    assert is_overdue("suggest", FRIDAY_EVENING, deadline + timedelta(microseconds=1))
    # During the holiday a 10-day complaint is far from overdue, though 12 calendar days have passed.
    assert not is_overdue("complain", FRIDAY_EVENING, datetime(2025, 10, 8, 12, 0, tzinfo=UTC))
    with pytest.raises(NaiveDatetime):
        is_overdue("suggest", FRIDAY_EVENING, datetime(2025, 10, 11))
