"""Fuzz (Hypothesis): generated hostile values (ids, dates, types, sizes, charsets) go through the validation gate
and the store pipeline on SQLite and PostgreSQL. Whatever the batch holds, the write never fails, every valid
letter is stored as it was read, and every bad one is quarantined with a reason naming its field.

Which values are bad is decided here, from the columns' documented limits, not by asking the gate."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scrapy import Spider
from scrapy.utils.test import get_crawler

from harvester.extract.snapshot import Snapshot
from harvester.pipelines.validate import ValidatePipeline
from harvester.schema import Message, Reply
from harvester.store.cache import store_for
from harvester.timeutil import SHANGHAI
from harvester.vocab import Status
from sinks.store_pipeline import StorePipeline
from tests.store.builders import POSTED, SEEN, letter
from tests.store.conftest import BACKENDS, fresh_pg_schema

ID_LIMIT = 128  # messages.external_id, board_id, letter_no: VARCHAR(128)
INT_MAX = 2**31 - 1  # views, likes: INTEGER on PostgreSQL
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)  # the gate's plausible posting times: 2000 to a day after fetch
LATEST = SEEN + timedelta(days=1)
BREAKING = ["\x00", "\ud800", "\udfff"]  # NUL: PostgreSQL refuses it; lone surrogates: no UTF-8 driver sends them
HOSTILE = BREAKING + ["\u202e", "\ufeff", "\u200b", "\r", "😀", "𠀀", "龘", "é", "\x1b", "'", "\\"]
PLATFORMS = (f"fuzz{n}" for n in itertools.count())


def text_ok(value: Any, limit: int | None = None, empty_ok: bool = True) -> bool:
    """Text every database holds: a str, no NUL, no lone surrogate, within the column's length."""
    return (isinstance(value, str) and "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
            and (limit is None or len(value) <= limit) and (empty_ok or value != ""))


def aware(value: Any) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None and 2 <= value.year <= 9998


def count_ok(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT_MAX)


def texts(max_size: int = 140) -> st.SearchStrategy[str]:
    """Any text, and often a hostile character inside a plausible one (so 40 examples meet each of them)."""
    return st.one_of(st.text(st.one_of(st.characters(), st.sampled_from(HOSTILE)), max_size=max_size),
                     st.sampled_from(BREAKING + HOSTILE).map(lambda c: f"夜间施工{c}噪音"))


WRONG = st.sampled_from([None, 12345, b"bytes", 1.5, ["list"], True])
MOMENTS = st.one_of(
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59),
                 timezones=st.sampled_from([None, UTC, SHANGHAI, timezone(timedelta(hours=14)),
                                            timezone(timedelta(hours=-12))])),
    st.sampled_from([EARLIEST, EARLIEST - timedelta(seconds=1), LATEST, LATEST + timedelta(seconds=1)]),
    st.sampled_from(["2025-11-18 09:30", 1763429405]))
SIZES = st.one_of(st.sampled_from([0, 1, 127, 128, 129, 4000]), st.integers(0, 60_000))


@dataclass(frozen=True)
class Mutation:
    """One field set to a generated value, and whether the store can keep the letter so (our own verdict)."""

    field: str
    values: st.SearchStrategy[Any]
    valid: Callable[[Any], bool]


def reply_ok(reply: tuple[Any, Any]) -> bool:
    text, replied_at = reply
    return text_ok(text, empty_ok=False) and (replied_at is None or aware(replied_at)
                                              and replied_at >= POSTED - timedelta(days=1))


MUTATIONS = [
    Mutation("external_id", st.one_of(texts(), SIZES.map(lambda n: "7" * n), WRONG), lambda v: v is not None and
             text_ok(v, ID_LIMIT, empty_ok=False)),
    Mutation("board_id", st.one_of(texts(), SIZES.map(lambda n: "b" * n)), lambda v: text_ok(v, ID_LIMIT)),
    Mutation("letter_no", st.one_of(texts(), st.none(), WRONG), lambda v: v is None or text_ok(v, ID_LIMIT)),
    Mutation("title", st.one_of(texts(), WRONG), lambda v: text_ok(v, empty_ok=False)),
    Mutation("body", st.one_of(texts(400), SIZES.map(lambda n: "噪" * n)), lambda v: text_ok(v, empty_ok=False)),
    Mutation("author", st.one_of(texts(), st.none(), WRONG), lambda v: v is None or text_ok(v)),
    Mutation("posted_at", MOMENTS, lambda v: aware(v) and EARLIEST <= v <= LATEST),
    Mutation("updated_at", st.one_of(MOMENTS, st.none()), lambda v: v is None or aware(v)),
    Mutation("views", st.one_of(st.integers(-2**40, 2**40), st.sampled_from([INT_MAX, INT_MAX + 1, -1]),
                                st.booleans(), st.floats(), texts(3)), count_ok),
    Mutation("status", st.sampled_from([Status.PENDING, Status.CLOSED, "pending", None, 1]),
             lambda v: isinstance(v, Status)),
    Mutation("overdue", st.sampled_from([True, False, None, "是", 1]), lambda v: v is None or isinstance(v, bool)),
    Mutation("attachments", st.one_of(st.lists(texts(20), max_size=3).map(tuple), st.just("a.jpg")),
             lambda v: isinstance(v, tuple) and all(text_ok(a) for a in v)),
    Mutation("satisfaction", st.dictionaries(texts(6), st.one_of(st.integers(-3, 2**32), WRONG), max_size=2),
             lambda v: all(text_ok(k) and count_ok(n) and n is not None for k, n in v.items())),
    Mutation("replies", st.tuples(texts(40), st.one_of(MOMENTS, st.none())), reply_ok),
]


@dataclass(frozen=True)
class Case:
    message: Message
    field: str | None
    valid: bool

    @property
    def page(self) -> str:
        assert self.message.source is not None
        return self.message.source.url


def hostile(index: int, platform: str, mutation: Mutation | None, value: Any) -> Case:
    """Letter `index` of a batch with one field set to `value`, past the constructor's checks as parsed data
    can be (a frozen dataclass is only frozen against honest code)."""
    external_id = f"{index}-{value}" if mutation and mutation.field == "external_id" and isinstance(value, str) \
        else str(1000 + index)
    message = letter(external_id, platform=platform, fetched_at=SEEN, source=Snapshot(
        url=f"http://127.0.0.1:8601/detail?i={index}", status=200, body=f"<p>{index}</p>".encode(),
        fetched_at=SEEN, headers={"content-type": "text/html; charset=utf-8"}))
    if mutation is None:
        return Case(message, None, True)
    if mutation.field == "replies":
        reply = Reply(text="已转办。", replied_at=POSTED)
        for name, part in zip(("text", "replied_at"), value, strict=True):
            object.__setattr__(reply, name, part)
        object.__setattr__(message, "replies", (reply,))
        return Case(message, "replies[0]", reply_ok(value))
    if mutation.field != "external_id" or not isinstance(value, str):
        object.__setattr__(message, mutation.field, value)
    return Case(message, mutation.field, mutation.valid(message.external_id if mutation.field == "external_id"
                                                        else value))


@st.composite
def batches(draw: st.DrawFn) -> list[Case]:
    platform = next(PLATFORMS)
    cases = []
    for index in range(draw(st.integers(1, 5))):
        mutation = draw(st.one_of(st.none(), st.sampled_from(MUTATIONS)))
        value = draw(mutation.values) if mutation else None
        cases.append(hostile(index, platform, mutation, value))
    return cases


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per backend for every example (each example writes as a platform of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
        return
    with fresh_pg_schema() as url:
        yield url


def harvest(db_url: str, cases: list[Case]) -> StorePipeline:
    """The validation gate and the store sink over one batch, as a crawl of one platform runs them."""
    crawler = get_crawler(Spider, {"HARVESTER_DB_URL": db_url, "HARVESTER_BATCH_SIZE": 100})
    crawler.spider = Spider(name=cases[0].message.platform)
    sink = StorePipeline(crawler)
    sink.open_spider()
    for case in cases:
        sink.process_item(ValidatePipeline().process_item(case.message))
    sink.close_spider()
    return sink


def pinned(field: str, value: Any) -> list[Case]:
    """A batch of a valid letter and one with `field` set to `value`: met on every run, whatever is drawn."""
    mutation = next(m for m in MUTATIONS if m.field == field)
    platform = next(PLATFORMS)
    return [hostile(0, platform, None, None), hostile(1, platform, mutation, value)]


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(cases=batches())
@example(cases=pinned("external_id", "7" * 129))
@example(cases=pinned("title", "夜间\x00施工"))
@example(cases=pinned("body", "噪音\udfff"))
@example(cases=pinned("views", INT_MAX + 1))
@example(cases=pinned("posted_at", datetime(2025, 11, 18, 9, 30)))
def test_valid_letters_are_always_stored_and_bad_ones_always_quarantined_with_a_reason(
        fuzz_db: str, cases: list[Case]) -> None:
    sink = harvest(fuzz_db, cases)
    assert sink.flush_error is None, sink.flush_error
    platform = cases[0].message.platform
    with store_for(fuzz_db).transaction() as repo:
        stored = {m["external_id"]: m for m in repo.iter_messages(platform=platform)}
        quarantined = {row["url"]: row for row in repo.quarantined(platform=platform)}
    for case in cases:
        message, page = case.message, case.page
        if case.valid:
            assert page not in quarantined, (case.field, quarantined.get(page, {}).get("reason"))
            kept = stored[message.external_id]
            assert (kept["title"], kept["body"], kept["board_id"]) == (message.title, message.body,
                                                                      message.board_id)
        else:
            row = quarantined[page]
            assert row["reason"].startswith("validation failed: ") and f"{case.field}" in row["reason"], row
    assert len(stored) == sum(case.valid for case in cases)
