"""The monitors' decisions as pure functions: zero items from history, field coverage, error shares, deadlines."""

from __future__ import annotations

from datetime import datetime

from harvester.app.monitors.error_rates import error_counts
from harvester.app.monitors.layout_change import dropped
from harvester.app.monitors.overdue import evaluate
from harvester.app.monitors.zero_items import DEFAULTS as ZERO_DEFAULTS
from harvester.app.monitors.zero_items import judge
from harvester.timeutil import SHANGHAI
from harvester.workdays import DeadlinePolicy

LAYOUT = {"min_messages": 5, "max_drop": 0.5, "min_baseline": 0.5}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# --- zero items ---------------------------------------------------------------------------------------------

def test_zero_where_the_history_always_saw_rows_fires() -> None:
    fires, why = judge(0, [15, 15, 14, 15], ZERO_DEFAULTS)
    assert fires and "4 of the 4 runs before saw some" in why


def test_zero_on_a_board_that_is_usually_empty_is_quiet() -> None:
    fires, why = judge(0, [0, 0, 3, 0, 0], ZERO_DEFAULTS)
    assert not fires and "4 of the 5 runs before did" in why


def test_zero_without_enough_history_is_not_judged_and_rows_are_always_fine() -> None:
    assert judge(0, [15, 15], ZERO_DEFAULTS) == (False, "saw 0; too little history to judge (2 earlier run(s))")
    assert not judge(3, [15, 15, 15], ZERO_DEFAULTS)[0]


# --- layout change ------------------------------------------------------------------------------------------

def test_a_field_that_vanished_from_recent_messages_is_named() -> None:
    baseline = {"author": (40, 40), "views": (40, 40), "region": (0, 40), "replies": (18, 20)}
    recent = {"author": (0, 12), "views": (12, 12), "region": (0, 12), "replies": (2, 6)}
    found = dropped(recent, baseline, LAYOUT)
    assert [(name, round(now, 2)) for name, _, now in found] == [("author", 0.0), ("replies", 0.33)]


def test_small_samples_and_fields_the_platform_never_had_are_ignored() -> None:
    baseline = {"author": (40, 40), "region": (1, 40)}
    assert dropped({"author": (0, 4), "region": (0, 30)}, baseline, LAYOUT) == []
    assert dropped({"author": (0, 30)}, {"author": (3, 4)}, LAYOUT) == []


# --- error rates --------------------------------------------------------------------------------------------

def test_error_answers_and_failures_are_classed() -> None:
    figures = {"downloader/response_status_count/200": 40, "downloader/response_status_count/429": 3,
               "downloader/response_status_count/403": 1, "downloader/response_status_count/503": 5,
               "downloader/response_status_count/404": 2,
               "downloader/exception_type_count/twisted.internet.error.TimeoutError": 2,
               "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 1}
    assert error_counts(figures) == {"blocked": 4, "server": 5, "timeout": 2, "transport": 1}


# --- overdue ------------------------------------------------------------------------------------------------

ROWS = [
    ("a", "市长信箱", "consult", at("2026-09-30T11:00:00")),  # 5 working days: 10-08, 09, 10 (调休), 12, 13
    ("b", "市长信箱", "complain", at("2026-09-30T11:00:00")),  # 10 working days: due 10-20
    ("c", "市住建局", "consult", at("2026-09-25T04:00:00")),  # Mid-autumn: 09-28 .. 10-09
]


def test_deadlines_skip_national_day_and_count_the_make_up_saturday() -> None:
    found = evaluate(ROWS, DeadlinePolicy(), at("2026-10-12T10:00:00"))
    assert [(o.external_id, o.due.date().isoformat()) for o in found.overdue] == [("c", "2026-10-09")]
    later = evaluate(ROWS, DeadlinePolicy(), at("2026-10-14T00:30:00"))
    assert [o.external_id for o in later.overdue] == ["c", "a"]  # most overdue first
    assert later.unknown == 0


def test_a_shorter_deadline_per_kind_is_honoured() -> None:
    policy = DeadlinePolicy.from_mapping({"complain": 3})
    found = evaluate(ROWS, policy, at("2026-10-12T10:00:00"))
    assert {o.external_id for o in found.overdue} == {"b", "c"}


def test_a_year_no_calendar_knows_is_estimated_clearly_overdue_still_counts_the_rest_is_unknown() -> None:
    rows = [*ROWS,
            ("d", "市长信箱", "consult", at("2098-12-29T09:00:00")),  # Mon-Fri count: 01-05; at the latest 01-14
            ("e", "市长信箱", "consult", at("2099-01-09T09:00:00")),  # 01-16, at the latest 01-27
            ("f", "市长信箱", "consult", at("2099-01-13T09:00:00"))]  # 01-20, at the latest 01-29
    found = evaluate(rows, DeadlinePolicy(), at("2099-01-20T09:00:00"))
    assert found.unknown_years == frozenset({2098, 2099})
    assert [o.external_id for o in found.overdue] == ["c", "a", "b", "d"]
    [d] = [o for o in found.overdue if o.external_id == "d"]
    assert d.estimated and d.due.date().isoformat() == "2099-01-14" and d.earliest is not None
    assert not any(o.estimated for o in found.overdue if o.external_id != "d")
    assert (found.unknown, found.maybe, found.estimated_overdue) == (2, 1, 1)  # e possibly overdue, f not yet
