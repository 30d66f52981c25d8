"""`fixtures record --check` compares today's pages with the recorded expectations field by field; a page that
no longer parses at all is reported as that difference, never a traceback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harvester.definition import definition_of
from harvester.fixtures import load_case
from harvester.registry import load_platforms
from spiders.generic.refresh import differences

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_recorded_page_unchanged_has_no_differences() -> None:
    case = load_case(FIXTURES / "beijing_12345" / "list_first_page")
    assert differences(case, definition_of(load_platforms()["beijing_12345"])) == {}


def test_a_list_that_no_longer_parses_is_one_difference_saying_why() -> None:
    case = load_case(FIXTURES / "beijing_12345" / "list_first_page")
    redesigned = replace(case, snapshot=replace(case.snapshot, body="<html><body>新版网站</body></html>".encode()))
    found = differences(redesigned, definition_of(load_platforms()["beijing_12345"]))
    assert found["error"] == (None, "LayoutChanged") and "not JSON" in found["reason"][1]
    assert set(found) - {"error", "reason"} == set(case.expected)  # every expected field now missing
