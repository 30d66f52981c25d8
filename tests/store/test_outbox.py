"""The reply outbox in the store (SQLite and PostgreSQL): approval, voiding, audit, claims, confirmation."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text, update

from harvester.app.replies import (
    ApprovalMismatch,
    IllegalTransition,
    KeyConflict,
    Outbox,
    State,
    UnknownMessage,
    claims,
)
from harvester.schema import Reply
from harvester.store.db import Store, alembic_config
from harvester.store.outbox.confirm import confirm_posted_replies
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, REPLY, letter, store_batch

TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
UNIT = "市住建局"


@pytest.fixture
def box(store: Store, run_id: int) -> Outbox:
    store_batch(store, [letter("25445483"), letter("25445484")], run_id)
    return Outbox(store)


def draft(box: Outbox, external_id: str = "25445483", **overrides: str) -> int:
    fields = {"text": TEXT, "organisation": UNIT, "account": "zjj", "actor": "oa-system"} | overrides
    return box.add(PLATFORM, external_id, **fields).id


def test_a_reply_starts_as_a_draft_and_approval_records_who_when_and_what(box: Outbox) -> None:
    reply_id = draft(box)
    seen = box.get(reply_id)
    assert (seen.state, seen.approved_by, seen.approval_valid) == ("draft", None, False)
    approved = box.approve(reply_id, "张科长", content_hash=seen.content_hash)
    assert (approved.state, approved.approved_by, approved.approved_hash) == ("approved", "张科长", seen.content_hash)
    assert approved.approved_at is not None and approved.approval_valid
    trail = box.history(reply_id)
    assert [(e.actor, e.from_state, e.to_state) for e in trail] == [("oa-system", None, "draft"),
                                                                     ("张科长", "draft", "approved")]
    assert all(e.at.tzinfo is not None for e in trail)


def test_editing_approved_text_voids_the_approval(box: Outbox) -> None:
    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    edited = box.edit(reply_id, TEXT + "（补充）", "oa-system")
    assert (edited.state, edited.approved_by, edited.approved_hash, edited.approval_valid) == ("draft", None, None,
                                                                                                False)
    assert "approval voided" in (box.history(reply_id)[-1].detail or "")


def test_approving_with_the_hash_of_an_older_version_approves_nothing(box: Outbox) -> None:
    reply_id = draft(box)
    seen_hash = box.get(reply_id).content_hash
    box.edit(reply_id, "另一段文字。", "oa-system")
    with pytest.raises(ApprovalMismatch):
        box.approve(reply_id, "张科长", content_hash=seen_hash)
    assert box.get(reply_id).state == "draft"


def test_text_changed_in_the_table_after_approval_is_voided_when_a_push_claims_it(box: Outbox, store: Store) -> None:
    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    with store.engine.begin() as connection:  # a downstream system writing the table directly
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(text="被改过的文字。"))
    assert not box.get(reply_id).approval_valid
    assert claims.claim(store, reply_id, "test:1") == claims.VOIDED_NOTE
    assert box.get(reply_id).state == "draft"
    assert [e.to_state for e in box.history(reply_id)] == ["draft", "approved", "draft"]


def test_only_approved_and_due_replies_can_be_claimed(box: Outbox, store: Store) -> None:
    drafted, cancelled, deferred = draft(box), draft(box, text="撤回的回复。"), draft(box, text="稍后再发。")
    box.approve(cancelled, "张科长")
    box.cancel(cancelled, "张科长", "内容有误")
    box.approve(deferred, "张科长")
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == deferred)
                           .values(not_before=utcnow() + timedelta(minutes=5)))
    assert [row.id for row in claims.due(store)] == []
    assert claims.claim(store, drafted, "test:1") == "now draft"
    assert claims.claim(store, cancelled, "test:1") == "now cancelled"
    assert claims.claim(store, deferred, "test:1") == "not due yet"


def test_a_reply_being_sent_cannot_be_cancelled_or_edited(box: Outbox, store: Store) -> None:
    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    held = claims.claim(store, reply_id, "test:1")
    assert isinstance(held, claims.Claim) and held.outgoing.text == TEXT and held.outgoing.board_id == "mayor"
    with pytest.raises(IllegalTransition):
        box.cancel(reply_id, "张科长")
    with pytest.raises(IllegalTransition):
        box.edit(reply_id, "新的文字。", "张科长")


def test_a_reply_sent_back_is_a_draft_again_with_the_reason_and_its_approval_void(box: Outbox, store: Store) -> None:
    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    returned = box.send_back(reply_id, "李主任", "  请补充办理结果  ")
    assert (returned.state, returned.approved_by, returned.approved_hash, returned.approval_valid) == (
        "draft", None, None, False)
    last = box.history(reply_id)[-1]
    assert (last.actor, last.from_state, last.to_state) == ("李主任", "approved", "draft")
    assert last.detail == "approval voided: sent back: 请补充办理结果"
    assert not isinstance(claims.claim(store, reply_id, "test:1"), claims.Claim)  # a draft is never claimed
    assert reply_id not in [reply.id for reply in claims.due(store)]
    with pytest.raises(ValueError, match="needs a reason"):
        box.send_back(reply_id, "李主任", "   ")
    box.approve(reply_id, "张科长")
    held = claims.claim(store, reply_id, "test:1")
    assert isinstance(held, claims.Claim)
    with pytest.raises(IllegalTransition):  # a push holds it
        box.send_back(reply_id, "李主任", "太晚了")


def test_the_same_idempotency_key_returns_one_reply(box: Outbox) -> None:
    first = box.add(PLATFORM, "25445483", TEXT, UNIT, "zjj", "oa", idempotency_key="oa-2025-0001")
    again = box.add(PLATFORM, "25445483", TEXT, UNIT, "zjj", "oa", idempotency_key="oa-2025-0001")
    assert again.id == first.id and again.idempotency_key == "oa-2025-0001"
    with pytest.raises(KeyConflict):
        box.add(PLATFORM, "25445483", "别的内容。", UNIT, "zjj", "oa", idempotency_key="oa-2025-0001")
    with pytest.raises(UnknownMessage):
        box.add(PLATFORM, "999", TEXT, UNIT, "zjj", "oa")
    with pytest.raises(ValueError, match="account"):
        box.add(PLATFORM, "25445483", TEXT, UNIT, "住建局", "oa")
    assert len(box.list_replies()) == 1


def test_two_pushers_racing_for_the_same_replies_never_both_get_one(box: Outbox, store: Store, db_url: str) -> None:
    ids = [draft(box, text=f"第{n}条回复。") for n in range(6)]
    for reply_id in ids:
        box.approve(reply_id, "张科长")
    other = Store.open(db_url)
    won: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def pusher(name: str, target: Store) -> None:
        for reply_id in ids:
            barrier.wait()
            if isinstance(claims.claim(target, reply_id, f"host:{name}"), claims.Claim):
                won[name].append(reply_id)

    threads = [threading.Thread(target=pusher, args=(n, s)) for n, s in (("a", store), ("b", other))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        other.close()
    assert sorted(won["a"] + won["b"]) == ids
    assert not set(won["a"]) & set(won["b"])
    assert all(box.get(i).state == "sending" for i in ids)


def test_a_sending_reply_is_taken_over_only_when_its_push_is_dead(box: Outbox, store: Store) -> None:
    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    host, lease = socket.gethostname(), timedelta(minutes=30)
    cases = [(f"{host}:{os.getpid()}", utcnow(), False), ("elsewhere:1", utcnow(), False),
             ("elsewhere:1", utcnow() - timedelta(hours=1), True), (f"{host}:{exited.pid}", utcnow(), True)]
    for claimer, claimed_at, taken in cases:
        with store.engine.begin() as connection:
            connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id)
                               .values(state="sending", claimed_by=claimer, claimed_at=claimed_at, attempts=1))
        held = claims.take_over(store, reply_id, "me:1", lease)
        assert (held is not None) == taken, claimer
        if held is not None:
            assert held.look_first and box.get(reply_id).state == "sending"
            assert "taken over" in (box.history(reply_id)[-1].detail or "")


def posted(box: Outbox, store: Store, external_id: str = "25445483", pid: str | None = None) -> int:
    reply_id = draft(box, external_id)
    box.approve(reply_id, "张科长")
    held = claims.claim(store, reply_id, "test:1")
    assert isinstance(held, claims.Claim)
    claims.finish(store, held, State.POSTED, "push test:1", "posted", posted_at=utcnow(), platform_reply_id=pid)
    return reply_id


def test_a_harvest_that_shows_the_reply_verifies_it(box: Outbox, store: Store, run_id: int) -> None:
    mine = posted(box, store)
    elsewhere = posted(box, store, "25445484")
    shown = Reply(text=TEXT.replace("\n", "  "), organisation=UNIT, replied_at=REPLY.replied_at)
    others = [Reply(text=TEXT, organisation="市交通运输局"), Reply(text="另一条回复。", organisation=UNIT),
              Reply(text=TEXT, organisation=UNIT, official=False)]
    with store.transaction() as repo:
        count = confirm_posted_replies(repo.session, [letter("25445483", replies=(shown,)),
                                                      letter("25445484", replies=tuple(others))], run_id, utcnow())
    assert count == 1
    verified = box.get(mine)
    assert (verified.state, box.history(mine)[-1].actor) == ("verified", f"harvest run {run_id}")
    assert box.get(elsewhere).state == "posted"


def test_posted_replies_unseen_by_enough_runs_are_listed(box: Outbox, store: Store) -> None:
    reply_id = posted(box, store)
    for outcome in ("succeeded", "failed", "succeeded"):
        with store.transaction() as repo:
            run = repo.start_run(PLATFORM, os.getpid())
            repo.finish_run(run, outcome, {})
    assert [(u.reply.id, u.runs_since) for u in box.unverified(after_runs=2)] == [(reply_id, 2)]
    assert box.unverified(after_runs=3) == []


def test_downgrading_the_outbox_migration_keeps_the_messages(box: Outbox, store: Store) -> None:
    draft(box)
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    tables = set(inspect(store.engine).get_table_names())
    assert "reply_outbox" not in tables and "reply_outbox_events" not in tables
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 2


def test_a_push_reads_its_own_platforms_held_replies_as_stored_and_finishing_releases_them(box: Outbox,
                                                                                           store: Store) -> None:
    from harvester.store.outbox import claims as held_replies
    from harvester.store.outbox.claims import MessagePlace

    first, second = draft(box), draft(box, "25445484")
    for reply_id in (first, second):
        box.approve(reply_id, "张科长")
    assert [r.id for r in held_replies.due(store, [PLATFORM])] == [first, second]  # oldest approval first
    assert held_replies.due(store, ["people_demo"]) == []
    held = claims.claim(store, first, "host-a:1")
    assert isinstance(held, claims.Claim)
    assert held_replies.sending(store, ["people_demo"]) == []  # another platform's push does not see it
    (reply,) = held_replies.sending(store, [PLATFORM])
    assert (reply.id, reply.platform, reply.external_id, reply.organisation, reply.account, reply.text,
            reply.claimed_by, reply.reason) == (first, PLATFORM, "25445483", UNIT, "zjj", TEXT, "host-a:1", None)
    assert reply.claimed_at is not None and reply.approved_hash == box.get(first).approved_hash
    place = held_replies.places(store, [reply.message_id, reply.message_id + 1000])
    assert place == {reply.message_id: MessagePlace(held.outgoing.message_url, held.outgoing.board_id)}
    assert held.outgoing.message_url.startswith("http") and held.outgoing.board_id == "mayor"
    assert box.history(first)[-1].actor == "push host-a:1"
    assert box.history(first)[-1].detail == "claimed (attempts so far: 0)"
    held_replies.finish(store, first, State.APPROVED, "push host-a:1", "outcome unknown: look first next time")
    assert held_replies.sending(store) == []
    (again,) = [r for r in held_replies.due(store) if r.id == first]
    assert (again.claimed_by, again.claimed_at) == (None, None)
    last = box.history(first)[-1]
    assert (last.actor, last.from_state, last.to_state, last.detail) == (
        "push host-a:1", "sending", "approved", "outcome unknown: look first next time")


def test_a_deferred_reply_keeps_its_reason_and_is_due_again_once_its_time_has_passed(box: Outbox,
                                                                                     store: Store) -> None:
    from harvester.store.outbox import claims as held_replies

    reply_id = draft(box)
    box.approve(reply_id, "张科长")
    assert isinstance(claims.claim(store, reply_id, "host-a:1"), claims.Claim)
    later = utcnow() + timedelta(hours=1)
    held_replies.finish(store, reply_id, State.APPROVED, "push host-a:1", "deferred: 429", reason="HTTP 429",
                        not_before=later)
    assert held_replies.due(store, now=later - timedelta(minutes=1)) == []  # not before its time
    (again,) = held_replies.due(store, now=later + timedelta(minutes=1))
    assert (again.id, again.reason) == (reply_id, "HTTP 429")
