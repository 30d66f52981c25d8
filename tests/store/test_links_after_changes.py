"""Copies (一稿多投) found after a letter changed: a status change keeps its sketch, a re-wording replaces it, and
storing without the linking switch links nothing; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from harvester.store.db import Store
from harvester.store.messages import upsert_messages
from harvester.vocab import Status
from tests.store.builders import POSTED, letter
from tests.store.test_links import MAYOR, PEOPLE, groups, link_events, store_linking
from tests.unit.test_textsim import COPY, LETTER, OTHER


def test_a_letter_whose_status_changed_is_still_found_by_a_later_copy(store: Store, run_id: int) -> None:
    store_linking(store, [letter("48212", body=LETTER, **MAYOR)], run_id)
    store_linking(store, [letter("48212", body=LETTER, status=Status.REPLIED, status_raw="已回复", **MAYOR)], run_id)
    with store.transaction() as repo:
        copy_run = repo.start_run("people_demo", 2)
    store_linking(store, [letter("25445483", body=COPY, **PEOPLE)], copy_run)
    found = groups(store)
    assert found[("jact_demo", "48212")] == found[("people_demo", "25445483")] is not None
    with store.transaction() as repo:
        linked = [e for e in repo.events_since(0) if e["payload"].get("fields") == ["link_group"]]
    assert [(e["external_id"], e["run_id"]) for e in linked] == [("48212", copy_run), ("25445483", copy_run)]


def test_a_reworded_letter_is_no_longer_found_by_its_old_wording(store: Store, run_id: int) -> None:
    store_linking(store, [letter("48212", body=OTHER, **MAYOR)], run_id)
    store_linking(store, [letter("48212", body=LETTER, **MAYOR)], run_id)
    store_linking(store, [letter("25445483", body=OTHER, **PEOPLE)], run_id)
    assert set(groups(store).values()) == {None} and link_events(store) == []
    store_linking(store, [letter("25445484", body=COPY, **PEOPLE)], run_id)
    found = groups(store)
    assert found[("jact_demo", "48212")] == found[("people_demo", "25445484")] is not None
    assert found[("people_demo", "25445483")] is None


def test_storing_without_the_linking_switch_links_nothing(store: Store, run_id: int) -> None:
    with store.transaction() as repo:
        results = upsert_messages(repo.session, [letter("48212", body=LETTER, **MAYOR),
                                                 letter("25445483", body=COPY, **PEOPLE)],
                                  run_id, POSTED + timedelta(days=3))
    assert [r.events for r in results] == [["created"], ["created"]]
    assert set(groups(store).values()) == {None} and link_events(store) == []
