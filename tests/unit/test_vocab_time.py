"""Vocabulary mapping and time parsing: canonical values, no guessing, no naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harvester.timeutil import NaiveDatetime, from_unix, parse_local, to_utc
from harvester.vocab import Kind, Status, Topic, UnknownLabel, kind_of, status_of, topic_of


@pytest.mark.parametrize(("raw", "status"), [("待处理", Status.PENDING), ("办理中", Status.IN_PROGRESS),
                                             ("已办理", Status.REPLIED), ("已办结", Status.CLOSED)])
def test_status_labels_map_to_canonical_values(raw: str, status: Status) -> None:
    assert status_of(f" {raw} ") is status


def test_unknown_status_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnknownLabel, match="状态不明"):
        status_of("状态不明")


def test_kind_and_topic_labels() -> None:
    assert kind_of("投诉/求助") is Kind.COMPLAIN
    assert kind_of(None) is Kind.OTHER
    assert topic_of("城建") is Topic.URBAN_CONSTRUCTION
    assert Status.PENDING.open311() == "open" and Status.CLOSED.open311() == "closed"


def test_local_times_are_beijing_time_and_convert_to_utc() -> None:
    parsed = parse_local("2026-11-18 10:02:03")
    assert to_utc(parsed) == datetime(2026, 11, 18, 2, 2, 3, tzinfo=UTC)
    assert parse_local("2017-9-10").day == 10
    assert from_unix(1610983347) == datetime(2021, 1, 18, 15, 22, 27, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        to_utc(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="unrecognised time"):
        parse_local("昨天")
