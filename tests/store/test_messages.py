"""Upserting messages: inserted / updated / unchanged, one event per kind of change, idempotent reruns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

import pytest

from harvester.schema import MessageWithdrawn, Reply
from harvester.store.db import Store
from harvester.vocab import Kind, Status
from tests.store.builders import PLATFORM, POSTED, REPLY, SEEN, later, letter, store_batch


def feed(store: Store) -> list[dict]:
    with store.transaction() as repo:
        return repo.events_since(0, limit=10_000)


def stored(store: Store, external_id: str = "25445483") -> dict:
    with store.transaction() as repo:
        message = repo.get_message(PLATFORM, external_id)
    assert message is not None, f"message {external_id} not stored"
    return message


def test_new_messages_are_inserted_with_replies_and_a_created_event(store: Store, run_id: int) -> None:
    results = store_batch(store, [letter("1001"), letter("1002", replies=(REPLY,))], run_id)
    assert [(r.external_id, r.outcome, r.events) for r in results] == [
        ("1001", "inserted", ["created"]), ("1002", "inserted", ["created"])]
    message = stored(store, "1002")
    assert message["title"] == "小区旁工地夜间施工噪音扰民" and message["status"] == "pending"
    assert message["posted_at"] == POSTED and message["kind"] == "complain"
    assert [(r["organisation"], r["text"]) for r in message["replies"]] == [("市住建局", REPLY.text)]
    assert (message["first_run_id"], message["last_run_id"]) == (run_id, run_id)
    assert message["content_hash"] == letter("1002", replies=(REPLY,)).content_hash()
    assert [(e["kind"], e["external_id"]) for e in feed(store)] == [("created", "1001"), ("created", "1002")]


def test_rerun_over_unchanged_data_adds_no_row_and_no_event(store: Store, run_id: int) -> None:
    batch = [letter("1001"), letter("1002", replies=(REPLY,))]
    store_batch(store, batch, run_id)
    with store.transaction() as repo:
        before, second_run = repo.counts(), repo.start_run(PLATFORM, 1)
    results = store_batch(store, batch, second_run, seen_at=later(3))
    assert [(r.outcome, r.events) for r in results] == [("unchanged", []), ("unchanged", [])]
    with store.transaction() as repo:
        assert repo.counts() == before | {"runs": before["runs"] + 1}
    message = stored(store, "1002")
    assert message["last_seen_at"] == later(3) and message["last_run_id"] == second_run
    assert message["last_changed_at"] == SEEN and message["first_run_id"] == run_id
    assert len(message["replies"]) == 1


def test_views_and_likes_are_refreshed_silently(store: Store, run_id: int) -> None:
    store_batch(store, [letter(views=12, likes=1)], run_id)
    [result] = store_batch(store, [letter(views=480, likes=9)], run_id, seen_at=later(1))
    assert (result.outcome, result.events) == ("unchanged", [])
    assert (stored(store)["views"], stored(store)["likes"]) == (480, 9)
    assert len(feed(store)) == 1


def test_a_reply_and_new_status_become_status_changed_and_reply_added(store: Store, run_id: int) -> None:
    store_batch(store, [letter()], run_id)
    replied = letter(status=Status.REPLIED, status_raw="已回复", replies=(REPLY,))
    [result] = store_batch(store, [replied], run_id, seen_at=later(5))
    assert (result.outcome, sorted(result.events)) == ("updated", ["reply_added", "status_changed"])
    events = {e["kind"]: e for e in feed(store)}
    assert events["status_changed"]["payload"] == {"from": "pending", "to": "replied", "from_raw": "待回复",
                                                   "to_raw": "已回复"}
    assert events["reply_added"]["payload"]["organisation"] == "市住建局"
    assert events["reply_added"]["payload"]["identity"] == REPLY.identity
    message = stored(store)
    assert message["status"] == "replied" and message["last_changed_at"] == later(5)
    assert message["content_hash"] == replied.content_hash()


def test_a_removed_reply_is_reported_and_deleted(store: Store, run_id: int) -> None:
    follow_up = Reply(text="谢谢答复", official=False, author="张**")
    store_batch(store, [letter(replies=(REPLY, follow_up))], run_id)
    [result] = store_batch(store, [letter(replies=(REPLY,))], run_id)
    assert result.events == ["reply_removed"]
    assert [r["text"] for r in stored(store)["replies"]] == [REPLY.text]
    assert feed(store)[-1]["payload"]["identity"] == follow_up.identity


def test_title_or_body_edits_are_text_edited_and_other_fields_updated(store: Store, run_id: int) -> None:
    store_batch(store, [letter()], run_id)
    edited = letter(body="XX路工地每晚十一点后仍在施工。（已编辑）", kind=Kind.SUGGEST, kind_raw="建议", region="西湖区")
    [result] = store_batch(store, [edited], run_id)
    assert result.events == ["text_edited", "updated"]
    last_two = [(e["kind"], e["payload"]) for e in feed(store)[-2:]]
    assert last_two == [("text_edited", {"fields": ["body"]}),
                        ("updated", {"fields": ["kind", "kind_raw", "region"]})]
    assert stored(store)["body"].endswith("（已编辑）")


def test_an_edited_reply_with_the_platform_id_is_an_update_not_a_new_reply(store: Store, run_id: int) -> None:
    store_batch(store, [letter(replies=(replace(REPLY, external_id="r-1"),))], run_id)
    [result] = store_batch(store, [letter(replies=(replace(REPLY, external_id="r-1", text="补充答复"),))], run_id)
    assert (result.outcome, result.events) == ("updated", ["updated"])
    assert feed(store)[-1]["payload"] == {"fields": ["replies"]}
    assert [r["text"] for r in stored(store)["replies"]] == ["补充答复"]


def test_withdrawn_then_public_again_is_hidden_then_reappeared(store: Store, run_id: int) -> None:
    store_batch(store, [letter(status=Status.IN_PROGRESS, status_raw="办理中")], run_id)
    withdrawn = MessageWithdrawn(PLATFORM, "25445483", later(1), "detail page redirects to the list")
    with store.transaction() as repo:
        assert repo.withdraw_message(withdrawn, run_id) == "withdrawn"
        assert repo.withdraw_message(withdrawn, run_id) == "unchanged"
        assert repo.withdraw_message(replace(withdrawn, external_id="404"), run_id) == "unknown"
    assert stored(store)["status"] == "hidden"
    [result] = store_batch(store, [letter(status=Status.IN_PROGRESS, status_raw="办理中")], run_id, later(2))
    assert (result.outcome, result.events) == ("updated", ["reappeared"])
    kinds = [(e["kind"], e["payload"]["from"], e["payload"]["to"]) for e in feed(store)[1:]]
    assert kinds == [("hidden", "in_progress", "hidden"), ("reappeared", "hidden", "in_progress")]
    assert stored(store)["status"] == "in_progress"


def test_every_event_kind_gets_a_strictly_increasing_seq(store: Store, run_id: int) -> None:
    follow_up = Reply(text="谢谢", official=False)
    steps = [letter(replies=(follow_up,)),
             letter(status=Status.REPLIED, status_raw="已回复", replies=(follow_up, REPLY)),
             letter(status=Status.REPLIED, status_raw="已回复", replies=(REPLY,), title="噪音扰民（已处理）",
                    region="上城区")]
    for hours, step in enumerate(steps):
        store_batch(store, [step], run_id, seen_at=later(hours))
    with store.transaction() as repo:
        repo.withdraw_message(MessageWithdrawn(PLATFORM, "25445483", later(4), "gone"), run_id)
    store_batch(store, [steps[-1]], run_id, seen_at=later(5))
    events = feed(store)
    assert {e["kind"] for e in events} == {"created", "status_changed", "reply_added", "reply_removed",
                                           "text_edited", "updated", "hidden", "reappeared"}
    seqs = [e["seq"] for e in events]
    assert all(a < b for a, b in zip(seqs, seqs[1:], strict=False))
    assert all(e["run_id"] == run_id and e["occurred_at"].endswith("+00:00") for e in events)


def test_a_message_repeated_in_one_batch_is_stored_once_as_its_last_version(store: Store, run_id: int) -> None:
    results = store_batch(store, [letter(), letter(status=Status.REPLIED, status_raw="已回复")], run_id)
    assert [(r.outcome, r.events) for r in results] == [("inserted", ["created"])]
    assert stored(store)["status"] == "replied"


def test_identical_replies_without_ids_are_both_kept(store: Store, run_id: int) -> None:
    thanks = Reply(text="谢谢", official=False)
    store_batch(store, [letter(replies=(thanks, thanks))], run_id)
    replies = stored(store)["replies"]
    assert [r["identity"] for r in replies] == [thanks.identity, thanks.identity + "#2"]
    [result] = store_batch(store, [letter(replies=(thanks,))], run_id)
    assert result.events == ["reply_removed"]


def test_iter_messages_streams_every_message_of_a_platform(store: Store, run_id: int) -> None:
    store_batch(store, [letter(str(n)) for n in range(1200, 1230)] + [letter("7", platform="other")], run_id)
    with store.transaction() as repo:
        ids = [m["external_id"] for m in repo.iter_messages(platform=PLATFORM)]
        everything = list(repo.iter_messages())
        assert repo.get_message(PLATFORM, "missing") is None
    assert ids == [str(n) for n in range(1200, 1230)]
    assert len(everything) == 31
    assert all(m["posted_at"].tzinfo is UTC and "id" not in m for m in everything)


def test_a_failed_transaction_leaves_nothing_behind(store: Store, run_id: int) -> None:
    with pytest.raises(RuntimeError), store.transaction() as repo:
        repo.upsert_messages([letter()], run_id, SEEN)
        raise RuntimeError("crawl crashed mid-batch")
    with store.transaction() as repo:
        assert repo.counts()["messages"] == 0 and repo.events_since(0) == []


def test_the_platforms_overdue_verdict_and_a_reply_heading_are_stored_and_a_new_verdict_is_an_update(
        store: Store, run_id: int) -> None:
    headed = replace(REPLY, title="关于夜间施工噪音问题的回复")
    store_batch(store, [letter(status=Status.REPLIED, status_raw="已回复", replies=(headed,), overdue=False)], run_id)
    message = stored(store)
    assert message["overdue"] is False and message["replies"][0]["title"] == "关于夜间施工噪音问题的回复"
    late = letter(status=Status.REPLIED, status_raw="已回复", replies=(headed,), overdue=True)
    [result] = store_batch(store, [late], run_id, seen_at=later(2))
    assert (result.outcome, result.events) == ("updated", ["updated"])
    assert feed(store)[-1]["payload"] == {"fields": ["overdue"]}
    assert stored(store)["overdue"] is True


def test_messages_stored_before_the_verdict_existed_keep_their_hash(store: Store, run_id: int) -> None:
    """Platforms that show no verdict or reply heading: the new fields leave hashes (and the feed) alone."""
    plain = letter(replies=(REPLY,))
    assert "overdue" not in plain.content_fields() and "title" not in plain.content_fields()["replies"][0]
    store_batch(store, [plain], run_id)
    [result] = store_batch(store, [plain], run_id, seen_at=later(1))
    assert (result.outcome, stored(store)["overdue"]) == ("unchanged", None)


def test_a_handling_unit_stays_when_a_page_without_it_is_read_and_a_new_unit_replaces_it(
        store: Store, run_id: int) -> None:
    taken = letter(status=Status.IN_PROGRESS, status_raw="办理中", handling_unit="市住建局")
    store_batch(store, [taken], run_id)
    [reread] = store_batch(store, [replace(taken, handling_unit=None)], run_id, seen_at=later(1))  # a re-check
    assert (reread.outcome, stored(store)["handling_unit"]) == ("unchanged", "市住建局")
    [moved] = store_batch(store, [replace(taken, handling_unit="市城管局")], run_id, seen_at=later(2))
    assert (moved.outcome, moved.events, stored(store)["handling_unit"]) == ("updated", ["updated"], "市城管局")
    assert feed(store)[-1]["payload"] == {"fields": ["handling_unit"]}
