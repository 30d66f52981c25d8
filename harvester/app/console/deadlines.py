"""The 督办 board's judgement: each open letter's deadline in working days (holidays and 调休 counted, as the
overdue monitor counts them), how many working days are left or how many late, most urgent first, by unit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harvester.app.monitors.overdue import COMPLEX_STATUSES
from harvester.holidays import PACKAGE, CalendarYearUnknown, WorkCalendar
from harvester.store.console_reads import OpenLetter
from harvester.timeutil import to_shanghai
from harvester.workdays import DeadlinePolicy, estimate_deadline, workdays_between


@dataclass(frozen=True, slots=True)
class Rules:
    """How one platform's letters are judged: the overdue monitor's deadlines, open statuses and calendar."""

    policy: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    statuses: tuple[str, ...] = ("pending", "in_progress")  # the overdue monitor's default `statuses`
    complex_statuses: tuple[str, ...] = tuple(COMPLEX_STATUSES)
    calendar: WorkCalendar = PACKAGE

    @classmethod
    def from_monitor(cls, values: Mapping[str, Any]) -> Rules:
        """From the overdue monitor's settings of a platform (`[checks.overdue]` merged as `harvester monitor` does)."""
        return cls(DeadlinePolicy.from_mapping(values.get("deadlines", {})), tuple(values.get("statuses", ())),
                   tuple(values.get("complex_statuses", ())), values.get("calendar", PACKAGE))


@dataclass(frozen=True, slots=True)
class Judged:
    """A letter on the board: due at the end of `due` (Beijing), `left` working days to go (0: due today) or
    `late` working days past it; `estimated` when the deadline runs into a year no calendar knows."""

    letter: OpenLetter
    due: datetime
    left: int
    late: int
    estimated: bool

    @property
    def urgency(self) -> tuple[int, int, datetime]:
        return (0, -self.late, self.due) if self.late else (1, self.left, self.due)


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit: str
    letters: list[Judged]

    @property
    def overdue(self) -> int:
        return sum(1 for j in self.letters if j.late)


def judge(letter: OpenLetter, rules: Rules, now: datetime) -> Judged:
    deadline = estimate_deadline(letter.kind, letter.posted_at, rules.policy, rules.calendar)
    due = deadline.latest if deadline.estimated else deadline.due
    try:
        if now > due:
            return Judged(letter, due, 0, max(1, workdays_between(due, now, rules.calendar)), deadline.estimated)
        return Judged(letter, due, workdays_between(now, due, rules.calendar), 0, deadline.estimated)
    except CalendarYearUnknown:  # counting into an unknown year: calendar days, marked as an estimate
        days = (to_shanghai(due).date() - to_shanghai(now).date()).days
        return Judged(letter, due, max(days, 0), max(-days, 1) if now > due else 0, True)


def board(letters: Iterable[OpenLetter], rules_for: Callable[[str], Rules], now: datetime,
          soon: int) -> list[UnitRow]:
    """Letters overdue or due within `soon` working days, by unit; units with the most urgent letter first."""
    by_unit: dict[str, list[Judged]] = {}
    for letter in letters:
        judged = judge(letter, rules_for(letter.platform), now)
        if judged.late or judged.left <= soon:
            by_unit.setdefault(letter.unit, []).append(judged)
    rows = [UnitRow(unit, sorted(found, key=lambda j: j.urgency)) for unit, found in by_unit.items()]
    return sorted(rows, key=lambda row: (-row.overdue, row.letters[0].urgency, row.unit))
