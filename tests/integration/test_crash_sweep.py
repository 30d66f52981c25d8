"""A sample of the crash-point sweep (bench/crash_sweep.py runs every point): a harvest or a push stopped at one
write boundary, then rerun, is exact against the replica's ground truth, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crashsweep import (
    BackOffice,
    Harvested,
    back_office,
    harvest_problems,
    harvest_scenario,
    push_problems,
    push_scenario,
)
from tests.store.conftest import database

# (backend, crash point, phase): a sample per backend; each point and occurrence in turn is bench/crash_sweep.py's
HARVEST_SAMPLE = [("sqlite", "harvest.in_transaction@3", "first"),
                  ("postgres", "harvest.cursor_buffered@1", "incremental")]
PUSH_SAMPLE = [("sqlite", "platform_stored"), ("postgres", "push.answered@1")]



@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Harvested:
    """The harvest scenario without a crash."""
    tmp = tmp_path_factory.mktemp("reference")
    return harvest_scenario(tmp, f"sqlite:///{tmp / 'reference.db'}")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackOffice]:
    with back_office(tmp_path_factory.mktemp("office")) as found:
        yield found


def test_the_reference_harvest_matches_the_site(reference: Harvested) -> None:
    assert harvest_problems(reference, reference) == []
    assert reference.outcomes == ["succeeded", "succeeded"]
    assert {kind for _, kind in reference.events} >= {"created", "reply_added", "status_changed"}


@pytest.mark.parametrize(("backend", "crash_at", "phase"), [pytest.param(*case, marks=pytest.mark.postgres)
                                                           if case[0] == "postgres" else case
                                                           for case in HARVEST_SAMPLE])
def test_a_harvest_killed_at_a_write_boundary_then_rerun_is_exact(reference: Harvested, tmp_path: Path,
                                                                   backend: str, crash_at: str, phase: str) -> None:
    with database(backend, tmp_path) as db_url:
        got = harvest_scenario(tmp_path, db_url, crash_at, phase)
    assert harvest_problems(got, reference) == []
    assert "abandoned" in got.outcomes  # the killed run, recorded as such by the rerun


@pytest.mark.parametrize(("backend", "crash_at"), [pytest.param(*case, marks=pytest.mark.postgres)
                                                   if case[0] == "postgres" else case for case in PUSH_SAMPLE])
def test_a_push_killed_at_an_outbox_transition_then_rerun_posts_each_approved_text_once(
        office: BackOffice, tmp_path: Path, backend: str, crash_at: str) -> None:
    with database(backend, tmp_path) as db_url:
        case, store = push_scenario(office, db_url, tmp_path, crash_at)
        try:
            assert push_problems(office, case, store) == []
        finally:
            store.close()
