"""Which days people work in mainland China: an operator's holidays file over the chinesecalendar package.

The State Council publishes each year's 放假安排 in the autumn before (days off, and the weekend days worked
in exchange: 调休). chinesecalendar learns them only with a new release, so an office lists them itself in a
small TOML file, one section per year (see docs/operations.md, "Holiday calendar"):

    [2026]
    source = "国务院办公厅关于2026年部分节假日安排的通知"
    holidays = ["2026-01-01..2026-01-03", "2026-02-15..2026-02-23", 2026-04-06]
    workdays = ["2026-01-04", "2026-02-14", "2026-02-28"]

A date the file lists is what the file says, whatever the package says; other dates of a year the file has
follow the package when it knows the year, else the week (Monday to Friday worked).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar

from harvester.config import ConfigError

ENV_VAR = "HARVESTER_HOLIDAYS_FILE"
CONFIG_KEY = "holidays_file"  # in [checks]
KEYS = ("holidays", "workdays", "source")
RANGE = ".."
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def package_years() -> range:
    """The years the installed chinesecalendar has holidays for (2004-2026 in release 1.11)."""
    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def missing_calendar_hint(years: list[int], file: Path | None) -> str:
    """What an operator should do about `years` no calendar knows, in one clause."""
    listed = ", ".join(map(str, years))
    where = (f"the holidays file {file}" if file is not None else
             f"a holidays file named by [checks] {CONFIG_KEY} or {ENV_VAR} (docs/operations.md, Holiday calendar)")
    return f"add the State Council's 放假安排 for {listed} (days off and 调休 working days) to {where}"


class CalendarYearUnknown(LookupError):
    """The holiday calendar has no data for a year, so working days there cannot be counted."""

    def __init__(self, year: int, file: Path | None = None) -> None:
        known = package_years()
        super().__init__(f"no Chinese holiday data for {year}: the installed chinesecalendar package knows "
                         f"{known.start}-{known.stop - 1} only; {missing_calendar_hint([year], file)}")
        self.year = year


class HolidaysFileError(ConfigError):
    """The holidays file cannot be read or lists something impossible; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class YearArrangement:
    """One year's 放假安排: the days off (weekend days inside a break included) and the 调休 days worked."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


@dataclass(frozen=True, slots=True)
class HolidaysFile:
    """An operator's holidays file, read and checked."""

    path: Path
    years: Mapping[int, YearArrangement]


def load_holidays(path: Path) -> HolidaysFile:
    """Read and check the holidays file at `path`; HolidaysFileError names the file and the bad entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise HolidaysFileError(f"{path}: no such holidays file") from error
    except OSError as error:
        raise HolidaysFileError(f"{path}: cannot read the holidays file: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise HolidaysFileError(f"{path}: the holidays file is not UTF-8") from error
    except tomllib.TOMLDecodeError as error:
        raise HolidaysFileError(f"{path}: not valid TOML: {error}") from error
    return HolidaysFile(path, parse_holidays(data, str(path)))


def parse_holidays(data: Mapping[str, Any], source: str) -> dict[int, YearArrangement]:
    """A holidays file's content (TOML already read) checked, by year; errors name `source` and the entry."""
    years = {}
    for key, table in data.items():
        if not (_is_year(key) and isinstance(table, dict)):
            raise HolidaysFileError(f"{source}: {key!r} is not a year section: write each year's arrangement as "
                                    f"[2027] with holidays = [...] and workdays = [...]")
        years[int(key)] = _year(int(key), table, f"{source}: [{key}]")
    return years


def _is_year(key: str) -> bool:
    return len(key) == 4 and key.isdigit()


def _year(year: int, table: Mapping[str, Any], where: str) -> YearArrangement:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise HolidaysFileError(f"{where}: unknown key(s) {unknown}; known: {', '.join(KEYS)}")
    off = _dates(table.get("holidays", []), year, f"{where} holidays")
    on = _dates(table.get("workdays", []), year, f"{where} workdays")
    if not off:
        raise HolidaysFileError(f"{where} lists no holidays; every year has some (New Year's Day at least)")
    both = sorted(off & on)
    if both:
        raise HolidaysFileError(f"{where}: {both[0]} is listed both in holidays and in workdays")
    weekday = sorted(day for day in on if day.weekday() < 5)
    if weekday:
        raise HolidaysFileError(f"{where} workdays: {weekday[0]} is a {_WEEKDAYS[weekday[0].weekday()]}, worked "
                                f"anyway; list only the weekend days worked in exchange (调休)")
    source = table.get("source", "")
    if not isinstance(source, str):
        raise HolidaysFileError(f"{where} source must be text (the notice), got {source!r}")
    return YearArrangement(year, frozenset(off), frozenset(on), source)


def _dates(value: Any, year: int, where: str) -> set[date]:
    """The dates a list names: TOML dates, "2027-10-01" or ranges "2027-10-01..2027-10-07", all within `year`."""
    if not isinstance(value, list):
        raise HolidaysFileError(f"{where} must be a list of dates, got {value!r}")
    days: set[date] = set()
    for entry in value:
        first, last = _entry(entry, where)
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1)):
            if day.year != year:
                raise HolidaysFileError(f"{where}: {day} (in {entry!s}) is not in {year}; list it under "
                                        f"[{day.year}]")
            days.add(day)
    return days


def _entry(entry: Any, where: str) -> tuple[date, date]:
    if type(entry) is date:  # a TOML date; a datetime (which is a date too) is a mistake
        return entry, entry
    text = entry.strip() if isinstance(entry, str) else ""
    parts = text.split(RANGE)
    if text and len(parts) <= 2 and all(_DATE.fullmatch(part.strip()) for part in parts):
        try:
            first, last = date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[-1].strip())
        except ValueError:
            pass
        else:
            if last < first:
                raise HolidaysFileError(f"{where}: the range {entry!r} ends before it starts")
            return first, last
    raise HolidaysFileError(f"{where}: cannot read {entry!r} as a date; write 2027-10-01, \"2027-10-01\" or a "
                            f"range \"2027-10-01..2027-10-07\"")


class WorkCalendar:
    """Working days: what the holidays file lists, else chinesecalendar for the years it knows, else the week
    for the other years the file has; any other year raises CalendarYearUnknown."""

    def __init__(self, file: HolidaysFile | None = None) -> None:
        self.file = file
        years = file.years.values() if file is not None else ()
        self._years = frozenset(arrangement.year for arrangement in years)
        self._off = frozenset().union(*(arrangement.holidays for arrangement in years))
        self._on = frozenset().union(*(arrangement.workdays for arrangement in years))

    @property
    def path(self) -> Path | None:
        """The holidays file, if there is one."""
        return None if self.file is None else self.file.path

    def knows(self, year: int) -> bool:
        """Whether working days in `year` can be told (the file has it, or the package does)."""
        return year in self._years or year in package_years()

    def is_workday(self, day: date) -> bool:
        """Whether people work on `day` (weekends off, holidays off, 调休 weekend days on)."""
        if day in self._on:
            return True
        if day in self._off:
            return False
        if day.year in package_years():
            # chinesecalendar's own rule, read from its tables (its is_workday re-scans them on every call).
            return day in chinese_calendar.workdays or (day.weekday() < 5 and day not in chinese_calendar.holidays)
        if day.year in self._years:
            return day.weekday() < 5
        raise CalendarYearUnknown(day.year, self.path)


PACKAGE = WorkCalendar()  # chinesecalendar alone


def calendar_from(path: Path | None) -> WorkCalendar:
    """The calendar with the holidays file at `path` on top of the package (the package alone for None)."""
    return PACKAGE if path is None else WorkCalendar(load_holidays(path))
