"""The monthly report's figures per unit and platform: received, closed (办结), replied (回复率), the median
working days to the first official reply, and letters overdue (answered late, or open past their deadline)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from harvester.app.console.deadlines import Rules
from harvester.holidays import CalendarYearUnknown
from harvester.store.console_reads import MonthLetter
from harvester.workdays import estimate_deadline, workdays_between

CLOSED = ("replied", "closed")


@dataclass(slots=True)
class Figures:
    key: str
    received: int = 0
    closed: int = 0
    replied: int = 0
    overdue: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.received if self.received else None

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.received if self.received else None

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days) if self.days else None


def _judge(letter: MonthLetter, rules: Rules, now: datetime) -> tuple[int | None, bool]:
    """Working days to the first reply (None without one) and whether the letter is overdue at `now`."""
    deadline = estimate_deadline(letter.kind, letter.posted_at, rules.policy, rules.calendar)
    due = deadline.latest if deadline.estimated else deadline.due
    if letter.first_reply_at is None:
        return None, letter.status not in CLOSED and now > due
    try:
        days = workdays_between(letter.posted_at, letter.first_reply_at, rules.calendar)
    except CalendarYearUnknown:
        days = (letter.first_reply_at - letter.posted_at).days
    return days, letter.first_reply_at > due


def monthly(letters: Iterable[MonthLetter], rules_for: Callable[[str], Rules], now: datetime
            ) -> tuple[list[Figures], list[Figures], Figures]:
    """Figures by unit and by platform (most letters first), and the month's total."""
    units: dict[str, Figures] = {}
    platforms: dict[str, Figures] = {}
    total = Figures("合计")
    for letter in letters:
        days, late = _judge(letter, rules_for(letter.platform), now)
        for figures in (units.setdefault(letter.unit, Figures(letter.unit)),
                        platforms.setdefault(letter.platform, Figures(letter.platform)), total):
            figures.received += 1
            figures.closed += letter.status in CLOSED
            figures.overdue += late
            if days is not None:
                figures.replied += 1
                figures.days.append(days)
    order = sorted(units.values(), key=lambda f: (-f.received, f.key))
    return order, sorted(platforms.values(), key=lambda f: (-f.received, f.key)), total


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    y: int
    received_width: float
    replied_width: float
    received: int
    replied: int


def bars(rows: list[Figures], width: float = 420.0, step: int = 26) -> list[Bar]:
    """Geometry of a horizontal bar chart (received, and replied over it) drawn as SVG by the template."""
    top = max((f.received for f in rows), default=0) or 1
    return [Bar(f.key, 10 + i * step, width * f.received / top, width * f.replied / top, f.received, f.replied)
            for i, f in enumerate(rows)]
