"""An operator's holidays file: it extends chinesecalendar to years the package does not know, overrides it date
by date, and a mistake in it is one clear error naming the file and the entry."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from harvester.app.monitors.settings import parse_checks
from harvester.config import ConfigError
from harvester.holidays import HolidaysFileError, WorkCalendar, load_holidays, package_years
from harvester.timeutil import SHANGHAI
from harvester.workdays import (
    CalendarYearUnknown,
    add_workdays,
    deadline_for,
    estimate_deadline,
    is_workday,
    workdays_between,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
# Test data, not the real 2027 arrangement: a two-day break in mid-March (no real holiday ever falls there,
# so the test holds whatever a later chinesecalendar knows about 2027) and a Saturday worked in exchange.
ARRANGEMENT_2027 = """
[2027]
source = "test arrangement"
holidays = ["2027-03-15..2027-03-16"]
workdays = [2027-03-20]
"""
FRIDAY_2027 = datetime(2027, 3, 12, 18, 0, tzinfo=SHANGHAI)


def calendar(tmp_path: Path, text: str) -> WorkCalendar:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return WorkCalendar(load_holidays(path))


def test_without_a_file_2027_cannot_be_counted() -> None:
    if 2027 in package_years():
        pytest.skip("this chinesecalendar knows 2027")  # pragma: no cover - true of release 1.11
    with pytest.raises(CalendarYearUnknown, match="2027"):
        add_workdays(FRIDAY_2027, 5)


def test_a_2027_holiday_from_the_file_pushes_the_deadline_out_and_the_make_up_saturday_counts(
        tmp_path: Path) -> None:
    cal = calendar(tmp_path, ARRANGEMENT_2027)
    assert cal.knows(2027) and not cal.knows(2099)
    # Mon 15 and Tue 16 off; Wed 17, Thu 18, Fri 19, Saturday 20 (worked in exchange), Mon 22.
    assert add_workdays(FRIDAY_2027, 5, cal) == datetime(2027, 3, 22, 18, 0, tzinfo=SHANGHAI)
    assert add_workdays(FRIDAY_2027, 4, cal).date() == date(2027, 3, 20)
    assert not is_workday(date(2027, 3, 21), cal) and is_workday(date(2027, 3, 20), cal)
    # Counted Monday to Friday the same letter would be due on the 19th: the file moved it.
    assert estimate_deadline("consult", FRIDAY_2027).due.date() == date(2027, 3, 19)
    exact = estimate_deadline("consult", FRIDAY_2027, calendar=cal)
    assert not exact.estimated and exact.due == exact.latest == deadline_for("consult", FRIDAY_2027, calendar=cal)
    assert workdays_between(FRIDAY_2027, datetime(2027, 3, 22, 9, 0, tzinfo=SHANGHAI), cal) == 5


def test_the_file_overrides_the_package_date_by_date_and_leaves_the_rest_to_it(tmp_path: Path) -> None:
    posted = datetime(2026, 9, 30, 11, 0, tzinfo=SHANGHAI)
    # The package: Oct 1-7 off; Oct 8, 9, Saturday Oct 10 (调休), 12, 13.
    assert deadline_for("consult", posted).date() == date(2026, 10, 13)
    cal = calendar(tmp_path, '[2026]\nholidays = ["2026-10-08", "2026-10-10"]\nworkdays = ["2026-10-03"]\n')
    # Saturday Oct 3 now worked; Oct 4-7 still off (the package), Oct 8 and the Saturday Oct 10 off (the file).
    assert [is_workday(date(2026, 10, day), cal) for day in (3, 4, 8, 9, 10)] == [True, False, False, True, False]
    assert deadline_for("consult", posted, calendar=cal).date() == date(2026, 10, 14)  # Oct 3, 9, 12, 13, 14
    assert add_workdays(posted, 3, cal).date() == date(2026, 10, 12)
    assert add_workdays(posted, 3).date() == date(2026, 10, 10)


def test_the_example_in_the_docs_is_valid_and_is_the_real_2026_arrangement(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(# holidays\.toml.*?)```", text, re.S)
    cal = calendar(tmp_path, example)
    [arrangement] = cal.file.years.values() if cal.file else []
    assert arrangement.year == 2026
    for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(365)):
        # What the file alone says (as if the package did not know 2026) is what the package says.
        alone = day in arrangement.workdays or (day.weekday() < 5 and day not in arrangement.holidays)
        assert alone == chinese_calendar.is_workday(day), day


@pytest.mark.parametrize(("text", "message"), [
    ('[2027]\nholidays = ["2027-03-15"]\nworkdays = ["2027-03-13", 2027-03-15]\n',
     "[2027]: 2027-03-15 is listed both in holidays and in workdays"),
    ('[2027]\nholidays = ["2026-12-31..2027-01-01"]\n',
     "[2027] holidays: 2026-12-31 (in 2026-12-31..2027-01-01) is not in 2027; list it under [2026]"),
    ('[2027]\nholidays = ["2027-02-30"]\n', "[2027] holidays: cannot read '2027-02-30' as a date"),
    ('[2027]\nholidays = ["2027/10/01"]\n', "[2027] holidays: cannot read '2027/10/01' as a date"),
    ('[2027]\nholidays = [20271001]\n', "[2027] holidays: cannot read 20271001 as a date"),
    ('[2027]\nholidays = [2027-10-01T00:00:00]\n', "[2027] holidays: cannot read datetime.datetime(2027, 10, 1"),
    ('[2027]\nholidays = ["2027-10-07..2027-10-01"]\n', "the range '2027-10-07..2027-10-01' ends before it starts"),
    ('[2027]\nholidays = "2027-10-01"\n', "[2027] holidays must be a list of dates"),
    ('[2027]\nholidays = ["2027-03-15"]\nworkdays = ["2027-03-17"]\n',
     "[2027] workdays: 2027-03-17 is a Wednesday, worked anyway"),
    ('[2027]\nholiday = ["2027-03-15"]\n', "[2027]: unknown key(s) ['holiday']"),
    ('[2027]\nworkdays = ["2027-03-20"]\n', "[2027] lists no holidays"),
    ('[years.2027]\nholidays = ["2027-03-15"]\n', "'years' is not a year section"),
    ('[2027]\nholidays = ["2027-03-15"\n', "not valid TOML"),
])
def test_a_mistake_in_the_holidays_file_names_the_file_and_the_entry(tmp_path: Path, text: str,
                                                                     message: str) -> None:
    with pytest.raises(HolidaysFileError) as caught:
        calendar(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'holidays.toml'}: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, ConfigError)  # the CLI ends with one line and exit code 2


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(HolidaysFileError, match=re.escape(f"{tmp_path / 'nope.toml'}: no such holidays file")):
        load_holidays(tmp_path / "nope.toml")


# --- where the file comes from ------------------------------------------------------------------------------

def test_checks_holidays_file_is_relative_to_the_config_file_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "holidays.toml").write_text(ARRANGEMENT_2027, encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text('[2027]\nholidays = ["2027-03-17"]\n', encoding="utf-8")
    source = str(tmp_path / "harvester.toml")
    settings = parse_checks({"holidays_file": "holidays.toml"}, source, base=tmp_path, env={})
    assert settings.calendar.path == tmp_path / "holidays.toml"
    assert settings.general["overdue"]["calendar"] is settings.calendar  # what the overdue monitor counts with
    assert not is_workday(date(2027, 3, 15), settings.calendar)
    chosen = parse_checks({"holidays_file": "holidays.toml"}, source, base=tmp_path,
                          env={"HARVESTER_HOLIDAYS_FILE": str(other)}).calendar
    assert chosen.path == other and is_workday(date(2027, 3, 15), chosen)
    assert parse_checks({}, "defaults", env={}).calendar.path is None


def test_a_bad_or_missing_holidays_file_is_a_configuration_error_when_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "holidays.toml").write_text('[2027]\nholidays = ["2027-13-01"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holidays\.toml: \[2027\] holidays: cannot read '2027-13-01'"):
        parse_checks({"holidays_file": "holidays.toml"}, "harvester.toml", base=tmp_path, env={})
    with pytest.raises(ConfigError, match="no such holidays file"):
        parse_checks({}, "harvester.toml", env={"HARVESTER_HOLIDAYS_FILE": str(tmp_path / "absent.toml")})
    with pytest.raises(ConfigError, match=r"harvester\.toml: \[checks\] holidays_file must be the path"):
        parse_checks({"holidays_file": 2027}, "harvester.toml", base=tmp_path, env={})
    with pytest.raises(ConfigError, match=r"\[checks.overdue\]: unknown key\(s\) \['calendar'\]"):
        parse_checks({"overdue": {"calendar": "holidays.toml"}}, "harvester.toml", env={})
