"""Handling deadlines in working days: Chinese public holidays and make-up working days (调休) included."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta

import chinese_calendar

from harvester.timeutil import SHANGHAI, require_aware, to_shanghai
from harvester.vocab import Kind

COMPLEX = "complex"


class CalendarYearUnknown(LookupError):
    """The holiday calendar has no data for a year, so working days there cannot be counted."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no Chinese holiday data for {year}: the installed chinesecalendar package knows "
                         f"only earlier years; upgrade it (holidays are published each November)")
        self.year = year


def is_workday(day: date) -> bool:
    """Whether people work on `day` in mainland China (weekends off, holidays off, 调休 Saturdays on)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        raise CalendarYearUnknown(day.year) from error


def add_workdays(start: datetime, days: int) -> datetime:
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
        remaining -= is_workday(day)
    return datetime.combine(day, local.timetz())


def workdays_between(a: datetime, b: datetime) -> int:
    """Working days after `a`'s Beijing date up to and including `b`'s; negative when `b` is earlier.

    The inverse of `add_workdays`: `workdays_between(s, add_workdays(s, n)) == n`.
    """
    first, last = to_shanghai(a).date(), to_shanghai(b).date()
    if last < first:
        return -workdays_between(b, a)
    return sum(is_workday(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))


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


def deadline_for(kind: str, assigned_at: datetime, policy: DeadlinePolicy | None = None) -> datetime:
    """End of the last allowed working day (23:59:59.999999 Beijing time) for a message of `kind`
    assigned at `assigned_at`."""
    policy = DeadlinePolicy() if policy is None else policy
    due = add_workdays(assigned_at, policy.days_for(kind))
    return datetime.combine(due.date(), time.max, tzinfo=SHANGHAI)


def is_overdue(kind: str, assigned_at: datetime, now: datetime, policy: DeadlinePolicy | None = None) -> bool:
    """Whether `now` is past the deadline of a message of `kind` assigned at `assigned_at`."""
    return require_aware(now) > deadline_for(kind, assigned_at, policy)
