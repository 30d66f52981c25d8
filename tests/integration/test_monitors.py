"""Every monitor fires on a replica that misbehaves the way real platforms do, and is quiet on a healthy harvest.

One replica and one store go through a story, harvested by real `harvester harvest` processes: a healthy
harvest; a flaky site with one letter's template broken; an emptied board; a template that drops fields;
a JavaScript challenge. The checks are run after each step and the tests read what they found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from sqlalchemy import text

from harvester.app.monitors.base import CheckResult
from harvester.app.monitors.runner import checks_settings, run_checks
from harvester.config import load_config
from harvester.holidays import package_years
from harvester.registry import platforms_for
from harvester.store.db import Store
from harvester.timeutil import SHANGHAI, utcnow
from harvester.vocab import Kind, Status
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process
from tests.store.builders import letter

PLATFORM = "jact_demo"
# Working days a letter of each kind gets by default (5 for consultations and suggestions, 10 otherwise).
DAYS = {"咨询": 5, "建议": 5, "表扬": 5, "投诉": 10, "求助": 10, "举报": 10}
BEFORE_HOLIDAY = datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
DURING_CATCH_UP = datetime(2026, 10, 8, 12, 0, tzinfo=SHANGHAI)  # first working day after National Day
AFTER_HOLIDAY = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Story:
    db_url: str
    config: Path
    truth: list[dict[str, Any]] = field(default_factory=list)  # the letters as the site had them at step 1
    found: dict[str, dict[str, CheckResult]] = field(default_factory=dict)  # step -> check -> result
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # step -> the platform's run
    messages: dict[str, int] = field(default_factory=dict)  # step -> messages stored


def checks_at(story: Story, now: datetime) -> dict[str, CheckResult]:
    config = load_config(env={"HARVESTER_CONFIG": str(story.config)})
    with Store.open(story.db_url) as store:
        results = run_checks(store, platforms_for(config), checks_settings(config), now, config)
    return {r.check: r for r in results if r.platform == PLATFORM}


def step(story: Story, name: str, **env: str) -> None:
    result = harvest(story.config, PLATFORM, timeout=180, **env)
    story.found[name] = checks_at(story, utcnow())
    with Store.open(story.db_url) as store, store.transaction() as repo:
        story.runs[name] = repo.latest_runs(limit=1, platform=PLATFORM)[0]
        story.messages[name] = repo.counts()["messages"]
    story.runs[name]["exit"] = result.returncode


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    tmp = tmp_path_factory.mktemp("monitors")
    with replica_process(tmp, ["jact"], options={"jact": {"letters": 40}}) as urls:
        site = urls["jact"]
        db_url = f"sqlite:///{tmp / 'monitors.db'}"
        config = write_config(tmp, db_url, {PLATFORM: site},
                              extra='state_dir = "state"\n[checks.zero_items]\nmin_history = 1\n')
        story = Story(db_url, config)
        step(story, "healthy")
        story.truth = control(site, "jact/letters")
        for name, moment in (("stale", utcnow() + timedelta(hours=20)), ("before_holiday", BEFORE_HOLIDAY),
                             ("catch_up", DURING_CATCH_UP), ("after_holiday", AFTER_HOLIDAY)):
            story.found[name] = checks_at(story, moment)
        control(site, "jact/mode", {"mode": "flaky"})
        broken = next(x for x in story.truth if x["public"] and x["status"] == "办理中")
        control(site, "jact/break", {"transactId": broken["id"]})
        step(story, "flaky_and_broken", HARVESTER_RECHECK_AFTER_HOURS="0")
        control(site, "jact/mode", {"mode": "empty"})
        step(story, "emptied")
        control(site, "jact/mode", {"mode": "lean"})
        control(site, "advance", {"steps": 2})
        step(story, "lean_template", HARVESTER_RECHECK_AFTER_HOURS="0")
        control(site, "jact/mode", {"mode": "challenge"})
        step(story, "challenge", HARVESTER_RECHECK_AFTER_HOURS="0")
        yield story


def holds(story: Story, when: str, check: str) -> bool:
    return story.found[when][check].holds


# --- quiet on a healthy harvest -----------------------------------------------------------------------------

@pytest.mark.parametrize("check", ["last_run", "staleness", "zero_items", "soft_blocks", "error_rates",
                                   "layout_change", "quarantine_growth"])
def test_every_harvest_monitor_is_quiet_after_a_healthy_harvest(story: Story, check: str) -> None:
    assert story.runs["healthy"]["outcome"] == "succeeded"
    assert holds(story, "healthy", check), story.found["healthy"][check].detail


# --- staleness ----------------------------------------------------------------------------------------------

def test_a_platform_not_harvested_for_20_hours_is_stale(story: Story) -> None:
    stale = story.found["stale"]["staleness"]
    assert stale.status == "failed"
    assert "last successful harvest 20.0 h ago" in stale.detail and "over 13.0 h" in stale.detail


# --- soft blocks --------------------------------------------------------------------------------------------

def test_a_challenge_page_is_reported_as_blocked_and_never_stored(story: Story) -> None:
    run, found = story.runs["challenge"], story.found["challenge"]
    assert run["exit"] == 1 and (run["outcome"], run["failure_class"]) == ("failed", "blocked")
    assert "soft block: challenge page" in run["error"]
    assert found["soft_blocks"].status == "failed" and "challenge" in found["soft_blocks"].detail
    assert found["last_run"].status == "failed" and "(blocked)" in found["last_run"].detail
    assert story.messages["challenge"] == story.messages["lean_template"]  # nothing parsed from the challenge
    assert found["quarantine_growth"].figures["new"] == story.found["lean_template"]["quarantine_growth"].figures[
        "new"]  # and nothing quarantined either


def test_soft_blocks_stay_quiet_while_the_site_answers_data(story: Story) -> None:
    assert all(holds(story, when, "soft_blocks") for when in ("healthy", "flaky_and_broken", "lean_template"))


# --- error rates and quarantine -----------------------------------------------------------------------------

def test_a_flaky_site_raises_the_error_rate_even_though_retries_saved_the_run(story: Story) -> None:
    run, rates = story.runs["flaky_and_broken"], story.found["flaky_and_broken"]["error_rates"]
    assert run["outcome"] == "succeeded"
    assert rates.status == "failed" and rates.figures["server"] >= 3
    assert 0.15 < rates.figures["share"] < 0.5  # about every third answer was a 503


def test_a_broken_letter_page_shows_as_quarantine_growth(story: Story) -> None:
    growth = story.found["flaky_and_broken"]["quarantine_growth"]
    assert growth.status == "failed" and growth.figures["new"] == 1
    assert "来信时间" in growth.detail  # the reason the page could not be read


# --- zero items ---------------------------------------------------------------------------------------------

def test_an_emptied_board_fires_zero_items_from_the_run_history(story: Story) -> None:
    run, zero = story.runs["emptied"], story.found["emptied"]["zero_items"]
    assert run["outcome"] == "succeeded"  # the site answered, it just listed nothing
    assert zero.status == "failed" and zero.figures["seen"] == 0
    assert zero.figures["history"][-1] == 40  # the first harvest saw every letter
    assert holds(story, "flaky_and_broken", "zero_items")


# --- layout change ------------------------------------------------------------------------------------------

def test_a_template_that_drops_fields_is_a_layout_change_naming_them(story: Story) -> None:
    layout = story.found["lean_template"]["layout_change"]
    assert story.runs["lean_template"]["outcome"] == "succeeded"  # strict selectors alone would miss it
    assert layout.status == "failed"
    assert {"author", "kind_raw", "topic_raw", "views"} <= set(layout.figures["fields"])
    assert holds(story, "flaky_and_broken", "layout_change")


# --- overdue across National Day ----------------------------------------------------------------------------

def due(posted: date, days: int, workday: Any) -> date:
    day, left = posted, days
    while left:
        day += timedelta(days=1)
        left -= bool(workday(day))
    return day


def expected_overdue(story: Story, now: datetime, workday: Any) -> set[str]:
    """Open public letters past their deadline, worked out from the site's own data with `workday`."""
    found = set()
    for truth in story.truth:
        posted = datetime.fromisoformat(truth["posted_at"])
        if truth["public"] and truth["status"] in ("待处理", "办理中") and posted <= now:
            if now.astimezone(SHANGHAI).date() > due(posted.date(), DAYS[truth["kind"]], workday):
                found.add(str(truth["id"]))
    return found


def overdue_ids(result: CheckResult) -> set[str]:
    return {m["external_id"] for m in result.figures["messages"]}


def test_national_day_does_not_count_towards_deadlines(story: Story) -> None:
    catch_up = story.found["catch_up"]["overdue"]
    weekdays_only = expected_overdue(story, DURING_CATCH_UP, lambda d: d.weekday() < 5)
    assert weekdays_only, "a letter posted just before the holiday would be overdue without the calendar"
    assert overdue_ids(catch_up) == expected_overdue(story, DURING_CATCH_UP, chinese_calendar.is_workday)
    assert not overdue_ids(catch_up) & weekdays_only


def test_a_letter_past_its_working_day_deadline_after_the_holiday_is_overdue_by_unit(story: Story) -> None:
    after = story.found["after_holiday"]["overdue"]
    expected = expected_overdue(story, AFTER_HOLIDAY, chinese_calendar.is_workday)
    assert expected and after.status == "failed"
    assert overdue_ids(after) == expected
    # By the unit the list shows handling each letter (办理单位); a letter no unit has taken yet, by its addressee.
    units = Counter(truth["unit"] or "市长信箱" for truth in story.truth if str(truth["id"]) in expected)
    assert after.figures["by_unit"] == dict(units) and set(units) != {"市长信箱"}


def test_overdue_is_quiet_while_every_letter_is_within_its_deadline(story: Story) -> None:
    assert expected_overdue(story, BEFORE_HOLIDAY, chinese_calendar.is_workday) == set()
    assert holds(story, "before_holiday", "overdue")


# --- monitors read straight from the store ------------------------------------------------------------------

def _store_checks(tmp_path: Path, extra: str = "") -> tuple[Any, Store]:
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    path = write_config(tmp_path, db_url, {PLATFORM: "http://127.0.0.1:9"}, extra='state_dir = "state"\n' + extra)
    return load_config(env={"HARVESTER_CONFIG": str(path)}), Store.open(db_url)


def _finished_runs(store: Store, count: int) -> None:
    for _ in range(count):
        with store.transaction() as repo:
            run_id = repo.start_run(PLATFORM, 1)
            repo.finish_run(run_id, "succeeded", {"items": 3})


def _only(config: Any, store: Store, check: str) -> CheckResult:
    results = run_checks(store, platforms_for(config), checks_settings(config), utcnow(), config)
    return next(r for r in results if r.check == check)


def test_a_posted_reply_not_seen_by_three_harvests_is_unverified(tmp_path: Path) -> None:
    from harvester.app.replies import Outbox
    from harvester.store.outbox.models import OutboxRow
    from harvester.store.outbox.states import State

    config, store = _store_checks(tmp_path)
    with store:
        _finished_runs(store, 1)
        with store.transaction() as repo:
            repo.upsert_messages([letter("48123")], 1, utcnow())
        reply = Outbox(store).add(PLATFORM, "48123", "您好，已安排核查。", organisation="市住建局", account="zjj",
                                  actor="test")
        with store.transaction() as repo:  # as a push leaves it: accepted and shown by the platform
            row = repo.session.get_one(OutboxRow, reply.id)
            row.state, row.posted_at = State.POSTED.value, utcnow()
        _finished_runs(store, 2)
        assert _only(config, store, "unverified_replies").holds
        _finished_runs(store, 1)
        unverified = _only(config, store, "unverified_replies")
    assert unverified.status == "failed" and unverified.figures["count"] == 1
    assert f"reply {reply.id} to 48123 (市住建局)" in unverified.detail


def test_a_monitor_that_breaks_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    config, store = _store_checks(tmp_path)
    (config.state_dir / "figures").mkdir(parents=True)
    with store:
        _finished_runs(store, 1)
        with store.transaction() as repo:  # a row a monitor cannot digest: an unknown message kind
            repo.upsert_messages([letter("1")], 1, utcnow())
            repo.session.execute(text("UPDATE messages SET kind = 'mystery'"))
        results = run_checks(store, platforms_for(config), checks_settings(config), utcnow(), config)
    by_check = {r.check: r for r in results}
    assert by_check["overdue"].status == "error" and "the check itself failed" in by_check["overdue"].detail
    assert by_check["staleness"].holds and by_check["last_run"].holds


# --- overdue in a year no holiday calendar knows ------------------------------------------------------------

UNKNOWN_YEAR = package_years().stop  # 2027 with chinesecalendar 1.11
POSTED = datetime(UNKNOWN_YEAR, 3, 2, 10, 0, tzinfo=SHANGHAI)
CLEARLY_LATE = POSTED + timedelta(days=40)  # past 5 working days even with the most generous count
# Test data, not a real arrangement: a week off just after the letter came in.
BREAK = (f'[{UNKNOWN_YEAR}]\nsource = "test arrangement"\n'
         f'holidays = ["{(POSTED + timedelta(days=3)).date()}..{(POSTED + timedelta(days=9)).date()}"]\n')


def _overdue_at(tmp_path: Path, now: datetime, holidays: str | None = None) -> CheckResult:
    extra = ""
    tmp_path.mkdir(exist_ok=True)
    if holidays is not None:
        (tmp_path / "holidays.toml").write_text(holidays, encoding="utf-8")
        extra = '[checks]\nholidays_file = "holidays.toml"\n'
    config, store = _store_checks(tmp_path, extra)
    with store:
        _finished_runs(store, 1)
        with store.transaction() as repo:
            repo.upsert_messages([letter("1", posted_at=POSTED, kind=Kind.CONSULT, kind_raw="咨询"),
                                  letter("2", posted_at=CLEARLY_LATE - timedelta(days=1), kind=Kind.CONSULT,
                                         kind_raw="咨询")], 1, POSTED)
        results = run_checks(store, platforms_for(config), checks_settings(config), now, config)
    return next(r for r in results if r.check == "overdue")


def test_overdue_fires_for_a_clearly_late_letter_in_a_year_without_holidays_and_says_the_calendar_is_missing(
        tmp_path: Path) -> None:
    found = _overdue_at(tmp_path, CLEARLY_LATE)
    assert found.status == "failed" and found.figures["by_unit"] == {"市长信箱": 1}
    [late] = found.figures["messages"]
    assert late["external_id"] == "1" and late["estimated"] is True
    assert found.figures["unknown"] == 1 and found.figures["missing_years"] == [UNKNOWN_YEAR]  # letter 2: too new
    assert f"HOLIDAY CALENDAR MISSING for {UNKNOWN_YEAR}" in found.detail
    assert "[checks] holidays_file or HARVESTER_HOLIDAYS_FILE" in found.detail


def test_overdue_does_not_hold_while_deadlines_run_into_a_year_without_holidays(tmp_path: Path) -> None:
    found = _overdue_at(tmp_path, POSTED + timedelta(days=1))
    assert found.status == "error" and found.figures["count"] == 0 and found.figures["unknown"] == 1
    assert f"HOLIDAY CALENDAR MISSING for {UNKNOWN_YEAR}" in found.detail


def test_overdue_with_the_years_holidays_file_is_exact_and_quiet_within_the_deadline(tmp_path: Path) -> None:
    within = _overdue_at(tmp_path / "a", POSTED + timedelta(days=10), BREAK)
    assert within.holds and within.figures["missing_years"] == [] and "MISSING" not in within.detail
    # Without the file, the same moment is past the Monday-to-Friday count: it cannot tell.
    guessing = _overdue_at(tmp_path / "b", POSTED + timedelta(days=10))
    assert guessing.status == "error" and guessing.figures["maybe"] == 1
    late = _overdue_at(tmp_path / "c", CLEARLY_LATE, BREAK)
    assert late.status == "failed" and [m["estimated"] for m in late.figures["messages"]] == [False]
    assert "MISSING" not in late.detail


def test_overdue_notes_in_november_that_next_years_holidays_are_missing(tmp_path: Path) -> None:
    autumn = datetime(UNKNOWN_YEAR - 1, 11, 25, 10, 0, tzinfo=SHANGHAI)
    config, store = _store_checks(tmp_path)
    with store:
        _finished_runs(store, 1)
        with store.transaction() as repo:
            repo.upsert_messages([letter("1", posted_at=autumn - timedelta(days=1))], 1, autumn)
        results = run_checks(store, platforms_for(config), checks_settings(config), autumn, config)
    found = next(r for r in results if r.check == "overdue")
    assert found.holds and f"no holiday calendar for {UNKNOWN_YEAR} yet" in found.detail


# --- complex matters: extended handling gets the longer deadline ---------------------------------------------

def test_a_letter_whose_handling_was_extended_gets_the_complex_deadline(tmp_path: Path) -> None:
    posted = datetime(2025, 11, 3, 9, 0, tzinfo=SHANGHAI)  # a Monday; no holiday before December
    now = posted + timedelta(days=21)  # 15 working days on: past 10 (complaints), within 20 (complex matters)
    letters = [letter("1", posted_at=posted, status=Status.IN_PROGRESS, status_raw="办理中"),
               letter("2", posted_at=posted, status=Status.IN_PROGRESS, status_raw="延期办理")]

    def overdue_with(folder: Path, extra: str = "") -> set[str]:
        folder.mkdir()
        config, store = _store_checks(folder, extra)
        with store:
            _finished_runs(store, 1)
            with store.transaction() as repo:
                repo.upsert_messages(letters, 1, posted)
            results = run_checks(store, platforms_for(config), checks_settings(config), now, config)
        return overdue_ids(next(r for r in results if r.check == "overdue"))

    assert overdue_with(tmp_path / "default") == {"1"}
    assert overdue_with(tmp_path / "no_extensions", "[checks.overdue]\ncomplex_statuses = []\n") == {"1", "2"}
