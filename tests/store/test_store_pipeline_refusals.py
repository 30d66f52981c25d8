"""Values the database refuses past the validation gate (SQLite and PostgreSQL), driven as a crawl drives the sink:
the refused letter is quarantined alone as JSON with the database's reason, its board's cursors are held back,
the rest of the batch is stored; a refused value that is no letter's fails the write and loses nothing.

PostgreSQL refuses a NUL character in text and a cursor longer than its column; SQLite stores both, so on SQLite
the store below refuses them the same way (same driver error) to reach the same paths."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.exc import DataError, OperationalError

from harvester.schema import BoardCursor, Message
from harvester.store.db import Store
from harvester.store.repository import Repository
from tests.store.builders import PLATFORM, SEEN, letter
from tests.store.test_store_pipeline_batches import BOARD, COUNTS, Harvest, counts, cursor_of, open_harvest, stored

OTHER_BOARD = "559"
NUL_REFUSED = "PostgreSQL text fields cannot contain NUL (0x00) bytes"


class RefusingStore:
    """The real SQLite store refusing what PostgreSQL refuses (a NUL in a message's text, a cursor over 255
    characters) with PostgreSQL's driver error; and failing the next `failures` message writes (database locked)."""

    def __init__(self, store: Store, emulate: bool) -> None:
        self.store, self.emulate, self.failures = store, emulate, 0

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        with self.store.transaction() as repo:
            upsert, set_cursor = repo.upsert_messages, repo.set_cursor

            def upsert_messages(messages: Sequence[Message], *args: Any, **kwargs: Any) -> Any:
                if self.failures:
                    self.failures -= 1
                    raise OperationalError("INSERT …", {}, Exception("database is locked"))
                if self.emulate and any("\x00" in m.body for m in messages):
                    raise DataError("INSERT …", {}, psycopg.DataError(NUL_REFUSED))
                return upsert(messages, *args, **kwargs)

            def set_cursor_checked(cursor: BoardCursor, run_id: int) -> None:
                if self.emulate and len(cursor.value) > 255:
                    raise DataError("INSERT …", {}, psycopg.errors.StringDataRightTruncation(
                        "value too long for type character varying(255)"))
                set_cursor(cursor, run_id)

            repo.upsert_messages = upsert_messages  # type: ignore[method-assign]
            repo.set_cursor = set_cursor_checked  # type: ignore[method-assign]
            yield repo


def refusing_harvest(db_url: str, batch_size: int = 100) -> tuple[Harvest, RefusingStore]:
    harvest = open_harvest(db_url, batch_size=batch_size)
    refusing = RefusingStore(harvest.sink.store, emulate=db_url.startswith("sqlite"))
    harvest.sink.store = refusing  # type: ignore[assignment]
    return harvest, refusing


def quarantined(store: Store) -> list[dict[str, Any]]:
    with store.transaction() as repo:
        return repo.quarantined(platform=PLATFORM)


def test_a_letter_the_database_refuses_is_quarantined_as_json_and_the_rest_stored(db_url: str, store: Store) -> None:
    harvest, _ = refusing_harvest(db_url)
    bad = letter("104", body="噪音扰民\x00每晚施工")
    harvest.feed(*[letter(str(n)) for n in range(101, 104)], bad, *[letter(str(n)) for n in range(105, 108)])
    harvest.feed(BoardCursor(PLATFORM, BOARD, "107"))
    assert set(stored(store)) == {"101", "102", "103", "105", "106", "107"}
    assert cursor_of(store) is None  # held below the refused letter: the next run reads it again
    [row] = quarantined(store)
    assert row["reason"] == f"store refused the message: DataError: {NUL_REFUSED}"
    assert (row["url"], row["external_id"], row["status_code"], row["run_id"]) == (bad.url, "104", 200,
                                                                                   harvest.run_id)
    assert row["headers"] == {"content-type": "application/json; charset=utf-8"} and row["first_seen_at"] == SEEN
    assert row["body"].isascii() and json.loads(row["body"]) == bad.content_fields()  # NUL and 汉字 escaped
    harvest.close()
    run = harvest.run()
    assert (run["outcome"], run["error"]) == ("succeeded", None)  # one page in seven: reported, not failed
    assert counts(run) == dict.fromkeys(COUNTS, 0) | {"items": 6, "new": 6, "quarantined": 1}


def test_only_the_refused_letters_board_keeps_its_old_cursor(db_url: str, store: Store) -> None:
    """A failed write keeps its batch, so the final write holds letters and cursors of two boards at once."""
    harvest, refusing = refusing_harvest(db_url)
    refusing.failures = 1
    harvest.feed(letter("101"), BoardCursor(PLATFORM, BOARD, "101"))  # this write fails: all is kept from here
    harvest.feed(letter("102", body="噪音\x00扰民"), letter("201", board_id=OTHER_BOARD),
                 BoardCursor(PLATFORM, OTHER_BOARD, "201"), BoardCursor(PLATFORM, BOARD, "102"))
    assert stored(store) == {}
    harvest.close("store_failed")
    assert set(stored(store)) == {"101", "201"} and [row["external_id"] for row in quarantined(store)] == ["102"]
    assert cursor_of(store, OTHER_BOARD) == ("201", harvest.run_id)
    assert cursor_of(store, BOARD) is None  # neither cursor of the refused letter's board, not even the one before
    assert harvest.sink.buffer == [] and harvest.run()["failure_class"] == "store"


def test_a_refused_value_of_no_letter_fails_the_write_and_keeps_the_batch(db_url: str, store: Store) -> None:
    harvest, _ = refusing_harvest(db_url)
    harvest.feed(letter("101"), letter("102"), BoardCursor(PLATFORM, BOARD, "9" * 256))
    assert harvest.engine.closed == ["store_failed"]
    assert stored(store) == {} and quarantined(store) == []  # no letter to blame: none quarantined
    harvest.close("store_failed")
    assert stored(store) == {} and len(harvest.sink.buffer) == 3  # read again by the next run
    run = harvest.run()
    assert (run["outcome"], run["failure_class"]) == ("failed", "store")
    assert run["error"] == ("final write failed: StringDataRightTruncation: value too long for type character "
                            "varying(255)")
