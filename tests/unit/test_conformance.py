"""Conformance of every recorded case: one test per expected field, plus unexpected fields and errors.

A layout change on a platform fails here naming the field that broke (tests/fixtures/<slug>/<case>/).
HARVESTER_FIXTURES_DIR points the per-case tests at another fixtures root (e.g. pages just fetched again with
`harvester fixtures record SLUG --refresh-inputs --output DIR`); the checks of particular committed cases below
always read tests/fixtures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harvester.fixtures import Case, all_cases
from spiders.pageindex import parse_recorded, recorded_outcome

COMMITTED_ROOT = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(os.environ.get("HARVESTER_FIXTURES_DIR") or COMMITTED_ROOT).resolve()  # read once, at collection
COMMITTED = all_cases(COMMITTED_ROOT)
CASES = COMMITTED if ROOT == COMMITTED_ROOT else all_cases(ROOT)
_parsed: dict[tuple[str, str], Any] = {}


def parsed(case: Case) -> dict[str, Any]:
    key = (case.slug, case.name)
    if key not in _parsed:
        _parsed[key] = recorded_outcome(case.family, case.page, case.snapshot, case.context)
    return _parsed[key]


FIELD_PARAMS = [pytest.param(case, name, id=f"{case.slug}/{case.name}/{name}")
                for case in CASES for name in case.expected]


def test_fixtures_exist_for_every_family_page() -> None:
    kinds = {(c.family, c.page) for c in COMMITTED}
    assert {("jact", "list"), ("jact", "detail")} <= kinds


@pytest.mark.parametrize(("case", "field"), FIELD_PARAMS)
def test_field(case: Case, field: str) -> None:
    assert parsed(case).get(field) == case.expected[field], f"{case.slug}/{case.name}: field {field!r} differs"


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.slug}/{c.name}") for c in CASES])
def test_no_unexpected_fields(case: Case) -> None:
    assert sorted(set(parsed(case)) - set(case.expected)) == []


def test_a_renamed_label_breaks_exactly_that_field() -> None:
    """The conformance gate fires: rename 来信人 on a recorded page and only `author` stops matching."""
    case = next(c for c in COMMITTED if c.slug == "jact_demo" and c.name == "detail_closed_graded")
    mutated = case.snapshot.__class__(**{**{f: getattr(case.snapshot, f) for f in
                                            ("url", "status", "fetched_at", "headers", "encoding")},
                                         "body": case.snapshot.body.replace("来信人".encode(), "写信人".encode())})
    result = parse_recorded(case.family, case.page, mutated, case.context)
    assert [name for name in case.expected if result.get(name) != case.expected[name]] == ["author"]


def test_gbk_pages_really_are_gbk_and_parse_to_chinese() -> None:
    case = next(c for c in COMMITTED if c.slug == "jact_demo_gbk" and c.name == "detail_replied_with_attachment")
    with pytest.raises(UnicodeDecodeError):
        case.snapshot.body.decode("utf-8")
    assert "charset" not in case.snapshot.headers.get("content-type", "")
    assert case.expected["title"].startswith("关于") and parsed(case)["title"] == case.expected["title"]
