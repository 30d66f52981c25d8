"""Handling deadlines in working days: Chinese public holidays and make-up working days (调休) included.

Every function takes an optional `calendar` (harvester.holidays.WorkCalendar: an operator's holidays file over
the chinesecalendar package); without one, the package alone. Counting into a year no calendar knows raises
CalendarYearUnknown, except in `estimate_deadline`, which counts such years Monday to Friday and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta

from harvester.holidays import PACKAGE, CalendarYearUnknown, WorkCalendar
from harvester.timeutil import SHANGHAI, require_aware, to_shanghai
from harvester.vocab import Kind

__all__ = ["COMPLEX", "CalendarYearUnknown", "Deadline", "DeadlinePolicy", "WorkCalendar", "add_workdays",
           "deadline_for", "estimate_deadline", "estimate_margin", "is_overdue", "is_workday", "workdays_between"]

COMPLEX = "complex"
# The most weekdays one published break has taken (2004-2026: 6, e.g. National Day 2025, Oct 1-8) and the
# statutory days off a year (13 since 2025) spread over a year's ~250 working days: see estimate_margin.
LONGEST_BREAK = 6
STATUTORY_DAYS = 13
WORKDAYS_A_YEAR = 250


def is_workday(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Whether people work on `day` in mainland China (weekends off, holidays off, 调休 Saturdays on)."""
    return (PACKAGE if calendar is None else calendar).is_workday(day)


def add_workdays(start: datetime, days: int, calendar: WorkCalendar | None = None) -> datetime:
    """The same Beijing wall-clock time on the `days`-th working day after `start`'s date.

    Counting starts the day after `start` (the assignment day itself never counts), so a message assigned
    on a Friday evening with 5 working days is due on the following Friday, later if a holiday intervenes.
    The result is in Asia/Shanghai. `days` = 0 returns `start` unchanged (shown in Asia/Shanghai).
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    local = to_shanghai(start)
    day = local.date()
    remaining = days
    while remaining:
        day += timedelta(days=1)
        remaining -= is_workday(day, calendar)
    return datetime.combine(day, local.timetz())


def workdays_between(a: datetime, b: datetime, calendar: WorkCalendar | None = None) -> int:
    """Working days after `a`'s Beijing date up to and including `b`'s; negative when `b` is earlier.

    The inverse of `add_workdays`: `workdays_between(s, add_workdays(s, n)) == n`.
    """
    first, last = to_shanghai(a).date(), to_shanghai(b).date()
    if last < first:
        return -workdays_between(b, a, calendar)
    return sum(is_workday(first + timedelta(days=n), calendar) for n in range(1, (last - first).days + 1))


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """Working days allowed per message kind, counted from assignment; `complex_days` for matters that
    need investigation across units. Defaults follow the notices (汕头 2020: 5 for enquiries and
    suggestions, 10 for matters to investigate, 20 for complex ones)."""

    consult: int = 5
    suggest: int = 5
    complain: int = 10
    help: int = 10
    report: int = 10
    praise: int = 5
    other: int = 10
    complex_days: int = 20

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, int]) -> DeadlinePolicy:
        """Defaults with `overrides` on top ({"consult": 3, "complex": 15}); unknown keys are an error."""
        return cls().with_overrides(overrides)

    def with_overrides(self, overrides: Mapping[str, int]) -> DeadlinePolicy:
        """This policy with some kinds' working days replaced."""
        known = {f.name for f in fields(self)}
        changes: dict[str, int] = {}
        for key, value in overrides.items():
            name = "complex_days" if key == COMPLEX else key
            if name not in known:
                raise KeyError(f"unknown deadline kind {key!r}; known: {', '.join(sorted(known))}")
            if int(value) < 0:
                raise ValueError(f"deadline for {key!r} must not be negative, got {value}")
            changes[name] = int(value)
        return replace(self, **changes)

    def days_for(self, kind: str) -> int:
        """Working days allowed for `kind` (a `Kind` value, or "complex")."""
        if kind == COMPLEX:
            return self.complex_days
        try:
            return int(getattr(self, Kind(kind).value))
        except ValueError as error:
            raise KeyError(f"unknown message kind {kind!r}") from error


def deadline_for(kind: str, assigned_at: datetime, policy: DeadlinePolicy | None = None,
                 calendar: WorkCalendar | None = None) -> datetime:
    """End of the last allowed working day (23:59:59.999999 Beijing time) for a message of `kind`
    assigned at `assigned_at`."""
    policy = DeadlinePolicy() if policy is None else policy
    return _end_of(add_workdays(assigned_at, policy.days_for(kind), calendar).date())


def is_overdue(kind: str, assigned_at: datetime, now: datetime, policy: DeadlinePolicy | None = None,
               calendar: WorkCalendar | None = None) -> bool:
    """Whether `now` is past the deadline of a message of `kind` assigned at `assigned_at`."""
    return require_aware(now) > deadline_for(kind, assigned_at, policy, calendar)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline, exact unless it runs through `missing` years no calendar knows. Then `due` counts those
    years Monday to Friday (an estimate) and `latest` is the most generous count: the real deadline cannot be
    later unless that year's holidays outdo every arrangement published so far (see estimate_margin)."""

    due: datetime
    latest: datetime
    missing: frozenset[int] = frozenset()

    @property
    def estimated(self) -> bool:
        return bool(self.missing)


def estimate_margin(days: int) -> int:
    """Working days an unknown year's holidays could add to a deadline of `days` working days: the longest
    break's weekdays plus the statutory days off pro rata. tests/unit/test_workdays_estimates.py checks it
    against every arrangement the package knows."""
    return LONGEST_BREAK + math.ceil(STATUTORY_DAYS * days / WORKDAYS_A_YEAR)


def estimate_deadline(kind: str, assigned_at: datetime, policy: DeadlinePolicy | None = None,
                      calendar: WorkCalendar | None = None) -> Deadline:
    """`deadline_for`, but a year no calendar knows is counted Monday to Friday instead of raising, and the
    deadline says so (`missing`), with the latest it could really be."""
    policy = DeadlinePolicy() if policy is None else policy
    calendar = PACKAGE if calendar is None else calendar
    days = policy.days_for(kind)
    missing: set[int] = set()
    due = _count(to_shanghai(assigned_at).date(), days, calendar, missing)
    latest = _count(due, estimate_margin(days), calendar, missing) if missing else due
    return Deadline(_end_of(due), _end_of(latest), frozenset(missing))


def _count(day: date, days: int, calendar: WorkCalendar, missing: set[int]) -> date:
    """The `days`-th working day after `day`; days of a year `calendar` does not know count Monday to Friday,
    and the year goes into `missing`."""
    while days:
        day += timedelta(days=1)
        if calendar.knows(day.year):
            days -= calendar.is_workday(day)
        else:
            missing.add(day.year)
            days -= day.weekday() < 5
    return day


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)
