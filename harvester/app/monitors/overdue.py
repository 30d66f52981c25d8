"""Monitor `overdue`: open messages past their deadline in working days (holidays and 调休 counted), by unit.

The unit is the one the platform shows handling the message (办理单位 / 承办单位), else its addressee. A message
whose raw status says its handling was extended (`complex_statuses`: 延期办理 …) is a complex matter and gets the
`complex` deadline.

The deadline runs from when the message was posted (the harvester cannot see the assignment date) and
depends on its kind: `deadlines` overrides harvester.workdays.DeadlinePolicy (5 working days for
consultations and suggestions, 10 for complaints and other matters to investigate, 20 for complex ones).
Holidays come from `settings["calendar"]` (the holidays file of `[checks] holidays_file`, put there by
harvester.app.monitors.settings; chinesecalendar alone without one). A deadline running into a year no calendar
knows is estimated: such a message is overdue only once past the most generous count, the others cannot be
judged, and the check does not hold while that year's calendar is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.holidays import PACKAGE, WorkCalendar, missing_calendar_hint
from harvester.timeutil import to_shanghai
from harvester.workdays import COMPLEX, Deadline, DeadlinePolicy, estimate_deadline

NAME = "overdue"
# Raw status labels of a message whose handling was extended (延期): a complex matter, with the `complex`
# deadline (20 working days unless `deadlines` says otherwise).
COMPLEX_STATUSES = ["延期", "延期办理", "申请延期", "已延期", "延期中", "延期答复"]
DEFAULTS = {"deadlines": {}, "statuses": ["pending", "in_progress"], "max_overdue": 0, "listed": 50,
            "complex_statuses": COMPLEX_STATUSES}
WARN_FROM_MONTH = 11  # from November on, say when next year's holidays are still missing


@dataclass(frozen=True, slots=True)
class Overdue:
    """One message past its deadline; an `estimated` one is past even the most generous count (`due`), and
    `earliest` is the deadline counting the unknown year Monday to Friday."""

    external_id: str
    unit: str
    kind: str
    posted_at: datetime
    due: datetime
    estimated: bool = False
    earliest: datetime | None = None

    def as_dict(self, now: datetime) -> dict[str, object]:
        out: dict[str, object] = {
            "external_id": self.external_id, "unit": self.unit, "kind": self.kind,
            "posted_at": to_shanghai(self.posted_at).isoformat(), "due": self.due.date().isoformat(),
            "days_late": (to_shanghai(now).date() - self.due.date()).days, "estimated": self.estimated}
        if self.earliest is not None:
            out["weekdays_only_due"] = self.earliest.date().isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Overdue messages (most overdue first); `unknown` more whose deadline runs into `unknown_years`, which
    no calendar knows, and which are not past the most generous count (`maybe` of them are past the
    Monday-to-Friday estimate)."""

    overdue: list[Overdue]
    unknown: int
    unknown_years: frozenset[int]
    maybe: int = 0

    @property
    def estimated_overdue(self) -> int:
        return sum(item.estimated for item in self.overdue)


def evaluate(rows: Iterable[tuple[str, str, str, datetime]], policy: DeadlinePolicy, now: datetime,
             calendar: WorkCalendar = PACKAGE) -> Evaluation:
    """Judge (external_id, unit, kind, posted_at) rows at `now`; deadlines are cached per posting day and kind."""
    deadlines: dict[tuple[date, str], Deadline] = {}
    overdue: list[Overdue] = []
    years: set[int] = set()
    unknown = maybe = 0
    for external_id, unit, kind, posted_at in rows:
        key = (to_shanghai(posted_at).date(), kind)
        if key not in deadlines:
            deadlines[key] = estimate_deadline(kind, posted_at, policy, calendar)
        deadline = deadlines[key]
        years |= deadline.missing
        if now > deadline.latest:
            earliest = deadline.due if deadline.estimated else None
            overdue.append(Overdue(external_id, unit, kind, posted_at, deadline.latest, deadline.estimated, earliest))
        elif deadline.estimated:
            unknown += 1
            maybe += now > deadline.due
    overdue.sort(key=lambda item: (item.due, item.unit, item.external_id))
    return Evaluation(overdue, unknown, frozenset(years), maybe)


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    try:
        policy = DeadlinePolicy.from_mapping(settings["deadlines"])
    except (KeyError, ValueError) as error:
        return CheckResult(NAME, ctx.slug, "error", f"deadlines: {error}")
    calendar: WorkCalendar = settings.get("calendar", PACKAGE)
    extended = {label.strip() for label in settings["complex_statuses"]}
    # The unit to chase is the handling unit, else the addressee; an extended message is a complex matter.
    rows = ctx.reads.open_messages(ctx.slug, list(settings["statuses"]), ctx.now, extended, COMPLEX)
    found = evaluate(((m.external_id, m.unit, m.kind, m.posted_at) for m in rows), policy, ctx.now, calendar)
    by_unit = dict(Counter(item.unit for item in found.overdue).most_common())
    figures = {"count": len(found.overdue), "by_unit": by_unit, "unknown": found.unknown,
               "estimated": found.estimated_overdue, "maybe": found.maybe,
               "missing_years": sorted(found.unknown_years),
               "messages": [item.as_dict(ctx.now) for item in found.overdue[:int(settings["listed"])]]}
    units = "; ".join(f"{unit} {count}" for unit, count in by_unit.items())
    detail = f"{len(found.overdue)} open message(s) past their deadline" + (f": {units}" if units else "")
    failed = len(found.overdue) > int(settings["max_overdue"])
    if found.unknown_years:
        detail += _missing_detail(found, calendar)
        return CheckResult(NAME, ctx.slug, "failed" if failed else "error", detail, figures)
    return result(NAME, ctx, failed, detail + _upcoming(ctx.now, calendar), **figures)


def _missing_detail(found: Evaluation, calendar: WorkCalendar) -> str:
    """What the missing calendar means for these messages, and how to supply it."""
    years = sorted(found.unknown_years)
    parts = []
    if found.estimated_overdue:
        parts.append(f"{found.estimated_overdue} of them overdue even by the most generous count")
    if found.unknown:
        maybe = f", {found.maybe} past the Monday-to-Friday count" if found.maybe else ""
        parts.append(f"{found.unknown} {'more ' if found.overdue else ''}cannot be judged{maybe}")
    listed = ", ".join(map(str, years))
    parts.append(f"HOLIDAY CALENDAR MISSING for {listed}: deadlines there are estimated; "
                 f"{missing_calendar_hint(years, calendar.path)}")
    return "".join(f"; {part}" for part in parts)


def _upcoming(now: datetime, calendar: WorkCalendar) -> str:
    """A note in late autumn when next year's holidays are not known yet (no deadline reaches them so far)."""
    local = to_shanghai(now)
    if local.month < WARN_FROM_MONTH or calendar.knows(local.year + 1):
        return ""
    year = local.year + 1
    return f"; note: no holiday calendar for {year} yet: {missing_calendar_hint([year], calendar.path)}"


def verify(values: Mapping[str, Any]) -> None:
    """Unknown kinds or negative days in `deadlines` are configuration errors."""
    DeadlinePolicy.from_mapping(values.get("deadlines", {}))


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "open messages past their deadline in working days, by unit", verify)
