"""Monitor `overdue`: open messages past their deadline in working days (holidays and 调休 counted), by unit.

The deadline runs from when the message was posted (the harvester cannot see the assignment date) and
depends on its kind: `deadlines` overrides harvester.workdays.DeadlinePolicy (5 working days for
consultations and suggestions, 10 for complaints and other matters to investigate, 20 for complex ones).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from harvester.checks.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.store.models import MessageRow
from harvester.timeutil import to_shanghai
from harvester.workdays import CalendarYearUnknown, DeadlinePolicy, deadline_for

NAME = "overdue"
DEFAULTS = {"deadlines": {}, "statuses": ["pending", "in_progress"], "max_overdue": 0, "listed": 50}


@dataclass(frozen=True, slots=True)
class Overdue:
    """One message past its deadline."""

    external_id: str
    unit: str
    kind: str
    posted_at: datetime
    due: datetime

    def as_dict(self, now: datetime) -> dict[str, object]:
        return {"external_id": self.external_id, "unit": self.unit, "kind": self.kind,
                "posted_at": to_shanghai(self.posted_at).isoformat(), "due": self.due.date().isoformat(),
                "days_late": (to_shanghai(now).date() - self.due.date()).days}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Overdue messages (most overdue first) and those whose deadline the calendar cannot tell."""

    overdue: list[Overdue]
    unknown: int
    unknown_years: frozenset[int]


def evaluate(rows: Iterable[tuple[str, str, str, datetime]], policy: DeadlinePolicy, now: datetime) -> Evaluation:
    """Judge (external_id, unit, kind, posted_at) rows at `now`; deadlines are cached per posting day and kind."""
    deadlines: dict[tuple[date, str], datetime | int] = {}
    overdue, unknown, years = [], 0, set()
    for external_id, unit, kind, posted_at in rows:
        key = (to_shanghai(posted_at).date(), kind)
        if key not in deadlines:
            try:
                deadlines[key] = deadline_for(kind, posted_at, policy)
            except CalendarYearUnknown as error:
                deadlines[key] = error.year
        due = deadlines[key]
        if isinstance(due, int):
            unknown += 1
            years.add(due)
        elif now > due:
            overdue.append(Overdue(external_id, unit, kind, posted_at, due))
    overdue.sort(key=lambda item: (item.due, item.unit, item.external_id))
    return Evaluation(overdue, unknown, frozenset(years))


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    try:
        policy = DeadlinePolicy.from_mapping(settings["deadlines"])
    except (KeyError, ValueError) as error:
        return CheckResult(NAME, ctx.slug, "error", f"deadlines: {error}")
    query = select(MessageRow.external_id, MessageRow.addressee, MessageRow.kind, MessageRow.posted_at).where(
        MessageRow.platform == ctx.slug, MessageRow.status.in_(list(settings["statuses"])),
        MessageRow.posted_at <= ctx.now)
    found = evaluate(((r[0], r[1], r[2], r[3]) for r in ctx.session.execute(query)), policy, ctx.now)
    by_unit = dict(Counter(item.unit for item in found.overdue).most_common())
    figures = {"count": len(found.overdue), "by_unit": by_unit, "unknown": found.unknown,
               "messages": [item.as_dict(ctx.now) for item in found.overdue[:int(settings["listed"])]]}
    units = "; ".join(f"{unit} {count}" for unit, count in by_unit.items())
    detail = f"{len(found.overdue)} open message(s) past their deadline" + (f": {units}" if units else "")
    if found.unknown:
        years = ", ".join(map(str, sorted(found.unknown_years)))
        return CheckResult(NAME, ctx.slug, "error", f"{detail}; {found.unknown} more cannot be judged: no Chinese "
                           f"holiday data for {years} (upgrade the chinesecalendar package)", figures)
    return result(NAME, ctx, len(found.overdue) > int(settings["max_overdue"]), detail, **figures)


def verify(values: Mapping[str, Any]) -> None:
    """Unknown kinds or negative days in `deadlines` are configuration errors."""
    DeadlinePolicy.from_mapping(values.get("deadlines", {}))


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "open messages past their deadline in working days, by unit", verify)
