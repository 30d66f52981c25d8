"""`fixtures record --check` compares today's pages with the recorded expectations field by field; a page that
no longer parses at all is reported as that difference, never a traceback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harvester.definition import definition_of
from harvester.fixtures import UnmaskedData, load_case, save_case
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


ID_NUMBER = "110105199001011234"


def test_a_case_showing_phone_or_id_numbers_is_refused_unless_asked_for(tmp_path: Path) -> None:
    case = load_case(FIXTURES / "beijing_12345" / "detail_replied")
    leaked = replace(case, snapshot=replace(case.snapshot, body=case.snapshot.body.replace(
        b"</body>", f"<p>联系电话：13812345678 身份证：{ID_NUMBER}</p></body>".encode())))
    with pytest.raises(UnmaskedData) as refused:
        save_case(tmp_path, leaked)
    assert "13812345678" not in str(refused.value) and "138****5678" in str(refused.value)
    assert not (tmp_path / case.slug).exists()
    assert (save_case(tmp_path, leaked, unmasked=True) / "input.bin").read_bytes() == leaked.snapshot.body
