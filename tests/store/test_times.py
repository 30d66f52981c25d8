"""Times: aware in, aware UTC out on both backends; naive values never reach the database."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import StatementError

from harvester.schema import BoardCursor
from harvester.store.db import Store
from harvester.store.models import RunRow
from harvester.timeutil import SHANGHAI, NaiveDatetime
from tests.store.builders import POSTED, letter, store_batch


def test_times_come_back_as_the_same_instant_in_utc(store: Store, run_id: int) -> None:
    seen = datetime(2025, 11, 20, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    store_batch(store, [letter(updated_at=datetime(2025, 11, 19, 1, 2, 3, tzinfo=timedelta_zone(-5)))],
                run_id, seen_at=seen)
    with store.transaction() as repo:
        message = repo.get_message("jact_demo", "25445483")
        state = repo.known_states("jact_demo", ["25445483"])["25445483"]
        run = repo.get_run(run_id)
    assert message is not None and run is not None
    assert message["posted_at"] == POSTED and message["posted_at"].tzinfo is UTC
    assert message["posted_at"].isoformat() == "2025-11-18T01:30:05.123456+00:00"
    assert message["updated_at"].isoformat() == "2025-11-19T06:02:03+00:00"
    assert message["last_seen_at"].isoformat() == "2025-11-20T15:59:59.999999+00:00"
    assert state.last_seen_at == seen and state.last_seen_at.tzinfo is UTC
    assert run["started_at"].tzinfo is UTC
    assert abs(run["started_at"] - datetime.now(UTC)) < timedelta(minutes=1)


def timedelta_zone(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


def test_naive_datetime_is_refused_by_the_column_type(store: Store) -> None:
    with pytest.raises(StatementError) as raised, store.transaction() as repo:
        repo.session.add(RunRow(platform="jact_demo", started_at=datetime(2025, 11, 20, 8, 0), pid=os.getpid()))
        repo.session.flush()
    assert isinstance(raised.value.orig, NaiveDatetime)
    with store.transaction() as repo:
        assert repo.latest_runs() == []


def test_naive_datetime_is_refused_by_the_repository(store: Store, run_id: int) -> None:
    with pytest.raises(NaiveDatetime), store.transaction() as repo:
        repo.upsert_messages([letter()], run_id, datetime(2025, 11, 20, 8, 0))
    with pytest.raises(NaiveDatetime), store.transaction() as repo:
        repo.due_for_recheck("jact_demo", ["pending"], datetime(2025, 11, 20, 8, 0), 10)
    with store.transaction() as repo:
        repo.set_cursor(BoardCursor("jact_demo", "mayor", "25445483"), run_id)
        assert repo.counts()["messages"] == 0
