"""What the spider asks the store: known states per list page, and open messages due for a recheck."""

from __future__ import annotations

from harvester.store.db import Store
from harvester.vocab import Status
from tests.store.builders import PLATFORM, later, letter, store_batch


def test_known_states_answers_for_stored_ids_only(store: Store, run_id: int) -> None:
    store_batch(store, [letter("1"), letter("2", status=Status.REPLIED, status_raw="已回复")], run_id)
    with store.transaction() as repo:
        states = repo.known_states(PLATFORM, ["1", "2", "3"])
        assert repo.known_states("other", ["1"]) == {}
        many = repo.known_states(PLATFORM, [str(n) for n in range(1500)])
    assert set(states) == {"1", "2"} and set(many) == {"1", "2"}
    assert (states["2"].status, states["2"].status_raw) == ("replied", "已回复")
    assert states["1"].content_hash == letter("1").content_hash()


def test_due_for_recheck_is_open_messages_seen_before_the_cutoff_oldest_first(store: Store, run_id: int) -> None:
    store_batch(store, [letter("old")], run_id, seen_at=later(0))
    store_batch(store, [letter("older", status=Status.IN_PROGRESS, status_raw="办理中")], run_id, seen_at=later(-2))
    store_batch(store, [letter("recent")], run_id, seen_at=later(10))
    store_batch(store, [letter("settled", status=Status.CLOSED, status_raw="已办结")], run_id, seen_at=later(-5))
    store_batch(store, [letter("elsewhere", platform="other")], run_id, seen_at=later(-9))
    with store.transaction() as repo:
        due = repo.due_for_recheck(PLATFORM, ["pending", "in_progress"], later(5), limit=10)
        first = repo.due_for_recheck(PLATFORM, [Status.PENDING, Status.IN_PROGRESS], later(5), limit=1)
        none_yet = repo.due_for_recheck(PLATFORM, ["pending"], later(-1), limit=10)
    assert [t.external_id for t in due] == ["older", "old"]
    assert due[0].url.endswith("transactId=older")
    assert [t.external_id for t in first] == ["older"] and none_yet == []


def test_seeing_a_message_again_takes_it_off_the_recheck_list(store: Store, run_id: int) -> None:
    store_batch(store, [letter("1"), letter("2")], run_id, seen_at=later(0))
    store_batch(store, [letter("1")], run_id, seen_at=later(4))
    with store.transaction() as repo:
        assert [t.external_id for t in repo.due_for_recheck(PLATFORM, ["pending"], later(3), 10)] == ["2"]


def test_messages_unchanged_for_the_window_have_settled_and_are_not_rechecked(store: Store, run_id: int) -> None:
    store_batch(store, [letter("quiet")], run_id, seen_at=later(-30))
    store_batch(store, [letter("lively")], run_id, seen_at=later(-1))
    with store.transaction() as repo:
        due = repo.due_for_recheck(PLATFORM, ["pending"], later(5), limit=10, changed_after=later(-10))
        unbounded = repo.due_for_recheck(PLATFORM, ["pending"], later(5), limit=10)
    assert [t.external_id for t in due] == ["lively"]
    assert {t.external_id for t in unbounded} == {"quiet", "lively"}


def test_public_by_letter_no_finds_stored_letters_not_yet_hidden(store: Store, run_id: int) -> None:
    from dataclasses import replace

    store_batch(store, [replace(letter("1"), letter_no="XF20261118-0001"),
                        replace(letter("2"), letter_no="XF20261118-0002", status=Status.HIDDEN, status_raw="不公开")],
                run_id)
    with store.transaction() as repo:
        found = repo.public_by_letter_no(PLATFORM, ["XF20261118-0001", "XF20261118-0002", "XF20990101-0001"])
        elsewhere = repo.public_by_letter_no("other", ["XF20261118-0001"])
    assert found == {"XF20261118-0001": "1"} and elsewhere == {}
