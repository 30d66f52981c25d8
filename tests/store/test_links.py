"""Copies of one citizen message (一稿多投) linked in the store, with feed events; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from harvester.schema import Message
from harvester.store import links
from harvester.store.db import Store
from tests.store.builders import POSTED, letter, store_batch
from tests.unit.test_textsim import COPY, HEATING, LETTER, OTHER, PARKING, PATTERN

MAYOR = dict(platform="jact_demo", title="小区门口道路施工后一直未恢复")
PEOPLE = dict(platform="people_demo", title="锦绣花园小区门口道路问题", board_id="1007", addressee="杭州市市长")


def store_linking(store: Store, messages: list[Message], run_id: int) -> None:
    with store.transaction() as repo:
        repo.upsert_messages(messages, run_id, POSTED + timedelta(days=3), link_copies=True)


def groups(store: Store) -> dict[tuple[str, str], Any]:
    with store.transaction() as repo:
        return {(m["platform"], m["external_id"]): m["link_group"] for m in repo.iter_messages()}


def link_events(store: Store, after: int = 0) -> list[tuple[str, str, str, str, float]]:
    with store.transaction() as repo:
        events = repo.events_since(after, limit=1000)
    return [(e["platform"], e["external_id"], e["payload"]["linked_with"]["platform"],
             e["payload"]["linked_with"]["external_id"], e["payload"]["similarity"])
            for e in events if e["kind"] == "updated" and e["payload"].get("fields") == ["link_group"]]


def last_seq(store: Store) -> int:
    with store.transaction() as repo:
        return repo.events_since(0, limit=100_000)[-1]["seq"]


def test_a_copy_on_another_platform_links_both_with_an_event_each(store: Store, run_id: int) -> None:
    store_linking(store, [letter("48212", body=LETTER, **MAYOR)], run_id)
    seq = last_seq(store)
    store_linking(store, [letter("25445483", body=COPY, posted_at=POSTED + timedelta(days=2), **PEOPLE)], run_id)
    found = groups(store)
    assert found[("jact_demo", "48212")] == found[("people_demo", "25445483")] is not None
    events = link_events(store, seq)
    assert [e[:4] for e in events] == [("jact_demo", "48212", "people_demo", "25445483"),
                                       ("people_demo", "25445483", "jact_demo", "48212")]
    assert all(e[4] >= 0.8 for e in events)


def test_a_third_copy_joins_the_group_and_only_it_gets_an_event(store: Store, run_id: int) -> None:
    store_linking(store, [letter("48212", body=LETTER, **MAYOR),
                          letter("25445483", body=COPY, **PEOPLE)], run_id)  # copies within one batch link too
    seq = last_seq(store)
    again = dict(PEOPLE, board_id="559", addressee="浙江省委书记")
    store_linking(store, [letter("25445999", body=LETTER + "盼复。", **again)], run_id)
    found = groups(store)
    assert len(set(found.values())) == 1 and None not in found.values()
    assert [e[:2] for e in link_events(store, seq)] == [("people_demo", "25445999")]


def test_other_letters_short_ones_and_copies_a_month_apart_stay_apart(store: Store, run_id: int) -> None:
    store_linking(store, [
        letter("1", body=LETTER, **MAYOR), letter("2", body=PATTERN, **MAYOR), letter("3", body=OTHER, **MAYOR),
        letter("4", body="同上，请尽快处理！", **MAYOR), letter("5", body="同上，请尽快处理！", **PEOPLE),
        letter("6", body=COPY, posted_at=POSTED + timedelta(days=45), **PEOPLE)], run_id)
    assert set(groups(store).values()) == {None} and link_events(store) == []


def test_a_rerun_over_the_same_pages_links_nothing_again(store: Store, run_id: int) -> None:
    batch = [letter("48212", body=LETTER, **MAYOR), letter("25445483", body=COPY, **PEOPLE)]
    store_linking(store, batch, run_id)
    seq = last_seq(store)
    store_linking(store, batch, run_id)
    assert link_events(store, seq) == []


def test_a_message_edited_into_a_copy_is_linked_at_the_edit(store: Store, run_id: int) -> None:
    store_linking(store, [letter("48212", body=LETTER, **MAYOR), letter("25445483", body=OTHER, **PEOPLE)], run_id)
    assert set(groups(store).values()) == {None}
    store_linking(store, [letter("25445483", body=COPY, **PEOPLE)], run_id)
    found = groups(store)
    assert found[("jact_demo", "48212")] == found[("people_demo", "25445483")] is not None


def test_without_the_switch_nothing_is_linked(store: Store, run_id: int) -> None:
    store_batch(store, [letter("48212", body=LETTER, **MAYOR), letter("25445483", body=COPY, **PEOPLE)], run_id)
    assert set(groups(store).values()) == {None} and link_events(store) == []


def test_hashes_held_by_too_many_sketches_are_not_looked_up(store: Store, run_id: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound on work per message: a stock phrase's hash finds nothing, so a copy made only of such hashes
    is not linked (here every hash counts as one once two sketches hold it)."""
    monkeypatch.setattr(links, "COMMON", 1)
    store_linking(store, [letter("48212", body=LETTER, **MAYOR)], run_id)
    store_linking(store, [letter("25445483", body=COPY, **PEOPLE)], run_id)
    assert set(groups(store).values()) == {None}
    monkeypatch.setattr(links, "COMMON", 100)
    store_linking(store, [letter("25445484", body=COPY + "盼复", **PEOPLE)], run_id)
    assert len({g for g in groups(store).values() if g is not None}) == 1


def test_two_citizens_letters_on_one_template_stay_apart(store: Store, run_id: int) -> None:
    """Another flat's heating complaint, another estate's question: the same words, other people (real Dalian
    letters of this kind scored up to 0.826); a copy of one of them in the same batch still links."""
    store_linking(store, [
        letter("11", body=HEATING, **MAYOR), letter("12", body=HEATING.replace("12号楼3单元402", "27号楼1单元603"),
                                                     **MAYOR),
        letter("13", body=PARKING, **MAYOR), letter("14", body=PARKING.replace("南湖新城", "东港丽景"), **PEOPLE),
        letter("15", body=PARKING.replace("，", ","), **PEOPLE)], run_id)
    found = groups(store)
    assert found[("jact_demo", "11")] is None and found[("jact_demo", "12")] is None
    assert found[("jact_demo", "13")] == found[("people_demo", "15")] is not None
    assert found[("people_demo", "14")] is None
