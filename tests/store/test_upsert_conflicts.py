"""The dialect-aware upsert: a row with the same keys is updated (or left alone), never duplicated, on SQLite and
PostgreSQL alike; a clash on anything but its keys still fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, create_mock_engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from harvester.store.db import Store
from harvester.store.models import CursorRow, QuarantineRow
from harvester.store.upsert import UnsupportedDatabase, upsert
from tests.store.builders import PLATFORM

CURSORS = cast(Table, CursorRow.__table__)
QUARANTINE = cast(Table, QuarantineRow.__table__)
MORNING = datetime(2025, 11, 20, 0, 0, tzinfo=UTC)
EVENING = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)


def cursor(value: str, at: datetime = MORNING, board_id: str = "mayor") -> dict[str, Any]:
    return {"platform": PLATFORM, "board_id": board_id, "value": value, "updated_at": at, "run_id": None}


def cursors(store: Store) -> list[tuple[str, str, datetime]]:
    with store.transaction() as repo:
        rows = repo.session.execute(select(CURSORS.c.board_id, CURSORS.c.value, CURSORS.c.updated_at)
                                    .order_by(CURSORS.c.board_id))
        return [(board, value, at) for board, value, at in rows]


def page(url: str, body_sha256: str = "a" * 64, **overrides: Any) -> dict[str, Any]:
    values = {"platform": PLATFORM, "url": url, "status_code": 200, "headers": {}, "body": b"<html></html>",
              "reason": "来信时间 not found", "body_sha256": body_sha256, "first_seen_at": MORNING,
              "last_seen_at": MORNING, "times_seen": 1}
    return values | overrides


def test_a_second_write_of_the_same_keys_updates_only_the_replaced_columns(store: Store) -> None:
    with store.transaction() as repo:
        repo.session.execute(upsert(repo.session, CURSORS, cursor("100"), keys=("platform", "board_id"),
                                    replace=("value", "updated_at")))
        repo.session.execute(upsert(repo.session, CURSORS, cursor("7", board_id="other"),
                                    keys=("platform", "board_id"), replace=("value", "updated_at")))
    with store.transaction() as repo:
        repo.session.execute(upsert(repo.session, CURSORS, cursor("250", EVENING), keys=("platform", "board_id"),
                                    replace=("value",)))
    assert cursors(store) == [("mayor", "250", MORNING), ("other", "7", MORNING)]


def test_without_columns_to_replace_a_conflict_keeps_the_stored_row(store: Store) -> None:
    with store.transaction() as repo:
        first = upsert(repo.session, CURSORS, cursor("100"), keys=("platform", "board_id"))
        assert repo.session.execute(first.returning(CURSORS.c.value)).scalar_one() == "100"
    with store.transaction() as repo:
        again = upsert(repo.session, CURSORS, cursor("250", EVENING), keys=("platform", "board_id"))
        assert repo.session.execute(again.returning(CURSORS.c.value)).first() is None
    assert cursors(store) == [("mayor", "100", MORNING)]


def test_increments_count_repeats_and_replaced_columns_take_the_new_value(store: Store) -> None:
    def seen(at: datetime) -> int:
        with store.transaction() as repo:
            statement = upsert(repo.session, QUARANTINE, page("http://x/1", last_seen_at=at),
                               keys=("platform", "url", "body_sha256"), replace=("last_seen_at",),
                               increments={"times_seen": QUARANTINE.c.times_seen + 1})
            return int(repo.session.execute(statement.returning(QUARANTINE.c.times_seen)).scalar_one())

    assert [seen(MORNING), seen(EVENING), seen(EVENING)] == [1, 2, 3]
    with store.transaction() as repo:
        [(count, first, last)] = repo.session.execute(
            select(func.count(), func.min(QUARANTINE.c.first_seen_at), func.max(QUARANTINE.c.last_seen_at)))
    assert (count, first, last) == (1, MORNING, EVENING)


@pytest.mark.parametrize("replace", [("last_seen_at",), ()], ids=["update", "nothing"])
def test_a_clash_on_another_unique_column_is_an_error_not_a_merge(store: Store, replace: tuple[str, ...]) -> None:
    """Only rows equal on the upsert's keys merge: a new page that reuses another page's row id must not
    overwrite (or silently drop into) that other page."""
    with store.transaction() as repo:
        stored_id = repo.session.execute(upsert(repo.session, QUARANTINE, page("http://x/1"),
                                                keys=("platform", "url", "body_sha256"), replace=replace)
                                         .returning(QUARANTINE.c.id)).scalar_one()
    with pytest.raises(IntegrityError), store.transaction() as repo:
        repo.session.execute(upsert(repo.session, QUARANTINE, page("http://x/2", id=stored_id, last_seen_at=EVENING),
                                    keys=("platform", "url", "body_sha256"), replace=replace))
    with store.transaction() as repo:
        rows = repo.session.execute(select(QUARANTINE.c.id, QUARANTINE.c.url, QUARANTINE.c.last_seen_at)).all()
    assert [tuple(row) for row in rows] == [(stored_id, "http://x/1", MORNING)]


def test_a_second_writer_of_the_same_keys_waits_then_updates_instead_of_failing(store: Store) -> None:
    """Two harvests setting one board's cursor at once: the later commit wins, nobody gets a duplicate key."""
    second: dict[str, Any] = {}

    def second_writer() -> None:
        try:
            with store.transaction() as repo:
                repo.session.execute(upsert(repo.session, CURSORS, cursor("300", EVENING),
                                            keys=("platform", "board_id"), replace=("value", "updated_at")))
            second["done"] = True
        except Exception as error:  # reported in the main thread
            second["error"] = error

    with store.transaction() as repo:
        repo.session.execute(upsert(repo.session, CURSORS, cursor("200"), keys=("platform", "board_id"),
                                    replace=("value", "updated_at")))
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), f"the second writer did not wait for the first: {second}"
    thread.join(timeout=30)
    assert second == {"done": True}
    assert cursors(store) == [("mayor", "300", EVENING)]


def test_a_database_other_than_sqlite_or_postgresql_is_refused() -> None:
    engine = create_mock_engine("mysql://", executor=lambda *_args, **_kwargs: None)
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        upsert(Session(bind=cast(Any, engine)), CURSORS, cursor("1"), keys=("platform", "board_id"),
               replace=("value",))
