"""Exactly once at the push's decisions (SQLite and PostgreSQL), with a platform in memory that records every
call: a taken-over reply whose text changed is never sent, a row approved without a hash is never sent, and a
reply whose earlier outcome was unknown is looked up before any later post."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from adapters.protocols import OutgoingReply, ReplyOutcome, ReplyReceipt
from harvester.app.replies import IllegalTransition, Outbox, State, claims
from harvester.app.replies.plan import plan
from harvester.app.replies.push import Pusher, PushResult
from harvester.app.replies.retry import RetryPolicy
from harvester.app.replies.settings import ReplyConfig
from harvester.store.db import Store
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, letter, store_batch

TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
CHANGED = "被改过的文字：请忽略此前的答复。"


@dataclass
class Platform:
    """A platform in memory: the replies it shows per message, and every call made to it, in order."""

    shown: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        self.calls.append(("find", reply.text))
        if reply.text in self.shown.get(reply.external_id, []):
            return ReplyReceipt(ReplyOutcome.POSTED, f"p-{reply.reply_id}", "已在信件下显示")
        return None

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        self.calls.append(("post", reply.text))
        self.shown.setdefault(reply.external_id, []).append(reply.text)
        return ReplyReceipt(ReplyOutcome.POSTED, f"p-{reply.reply_id}", "回复成功")

    async def close(self) -> None:
        return None


class Pool:
    """What the push needs of an AdapterPool: one platform, credentials present, no staging."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.config = ReplyConfig(retry=RetryPolicy(backoff_initial_s=0.01, backoff_max_s=0.01))

    def problem(self, platform: str, account: str) -> str | None:
        return None

    def adapter(self, platform: str) -> Platform:
        return self.platform

    def outgoing(self, reply: OutgoingReply) -> OutgoingReply:
        return reply

    async def reset(self, platform: str) -> None:
        return None


def push(store: Store, platform: Platform) -> list[PushResult]:
    pool: Any = Pool(platform)
    return asyncio.run(Pusher(store, pool, pool.config, claimer="me:1").push())


@pytest.fixture
def box(store: Store, run_id: int) -> Outbox:
    store_batch(store, [letter("25445483")], run_id)
    return Outbox(store)


def approved(box: Outbox) -> int:
    reply = box.add(PLATFORM, "25445483", TEXT, "市住建局", "zjj", "oa-system")
    return box.approve(reply.id, "张科长", content_hash=reply.content_hash).id


def set_row(store: Store, reply_id: int, **values: Any) -> None:
    """Write the row as another system (or a dead push) left it, straight in the table."""
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(**values))


def in_flight_when_the_push_died(store: Store, reply_id: int) -> None:
    """A push claimed the reply, counted its attempt, handed it to the adapter and died (lease long gone)."""
    held = claims.claim(store, reply_id, "elsewhere:4242")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)
    set_row(store, reply_id, claimed_at=utcnow() - timedelta(hours=2))


def test_a_reply_taken_over_after_its_text_changed_is_never_posted(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)
    set_row(store, reply_id, text=CHANGED)
    pool: Any = Pool(Platform())
    assert [p.action for p in plan(store, pool)] == ["dead: content changed after it was handed to the platform, "
                                                     "nothing sent"]

    platform = Platform()
    (result,) = push(store, platform)
    assert platform.calls == []  # neither posted nor looked up under the changed text
    view = box.get(reply_id)
    assert (result.state, view.state, view.reason) == ("dead", "dead", claims.VOIDED_IN_FLIGHT)
    assert not view.approval_valid and view.posted_at is None
    assert [e.to_state for e in box.history(reply_id)][-1] == "dead"
    assert push(store, platform) == [] and platform.calls == []  # dead stays dead


def test_a_reply_taken_over_unchanged_is_looked_up_then_posted_once(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)
    platform = Platform()
    (result,) = push(store, platform)
    assert platform.calls == [("find", TEXT), ("post", TEXT)]
    assert (result.state, box.get(reply_id).attempts) == ("posted", 2)


def test_a_row_approved_in_the_table_without_an_approval_hash_is_voided_never_sent(box: Outbox,
                                                                                   store: Store) -> None:
    reply_id = box.add(PLATFORM, "25445483", TEXT, "市住建局", "zjj", "oa-system").id
    set_row(store, reply_id, state=State.APPROVED.value, approved_by="下游系统", approved_at=utcnow(),
            approved_hash=None)
    platform = Platform()
    (result,) = push(store, platform)
    assert platform.calls == []
    view = box.get(reply_id)
    assert (result.state, view.state) == ("draft", "draft") and "approval voided" in (view.reason or "")


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "not-landed"])
def test_a_reply_whose_earlier_outcome_was_unknown_is_looked_up_before_a_later_push_posts(
        box: Outbox, store: Store, landed: bool) -> None:
    reply_id = approved(box)
    held = claims.claim(store, reply_id, "earlier:1")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)  # handed to the adapter; the answer never came (timeout, reset)
    claims.finish(store, held, State.APPROVED, "push earlier:1", "deferred after attempt 1: outcome unknown")
    platform = Platform(shown={"25445483": [TEXT]} if landed else {})
    (result,) = push(store, platform)
    assert platform.calls == ([("find", TEXT)] if landed else [("find", TEXT), ("post", TEXT)])
    assert platform.shown["25445483"] == [TEXT]
    view = box.get(reply_id)
    assert (result.state, view.attempts) == ("posted", 1 if landed else 2)


def test_a_reply_changed_after_an_unknown_outcome_is_never_posted_again(box: Outbox, store: Store) -> None:
    """Its approved text may be on the platform: neither that text (looked up under another) nor the new one is
    sent; an edit through the API is refused, a change in the table ends it dead."""
    reply_id = approved(box)
    held = claims.claim(store, reply_id, "earlier:1")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)
    claims.finish(store, held, State.APPROVED, "push earlier:1", "deferred after attempt 1: outcome unknown")
    with pytest.raises(IllegalTransition, match="may already be on the platform"):
        box.edit(reply_id, CHANGED, "oa-system")
    set_row(store, reply_id, text=CHANGED)
    with pytest.raises(IllegalTransition):
        box.approve(reply_id, "张科长")
    platform = Platform()
    (result,) = push(store, platform)
    assert platform.calls == []
    view = box.get(reply_id)
    assert (result.state, view.state, view.reason) == ("dead", "dead", claims.VOIDED_IN_FLIGHT)


def claimed_by(store: Store, reply_id: int) -> tuple[str | None, object]:
    with store.transaction() as repo:
        row = repo.session.get(OutboxRow, reply_id)
        assert row is not None
        return row.claimed_by, row.claimed_at


def test_a_taken_over_reply_is_held_by_the_new_push_so_no_third_push_takes_it_too(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)
    lease = timedelta(minutes=30)
    held = claims.take_over(store, reply_id, "me:1", lease)
    assert isinstance(held, claims.Claim) and held.look_first
    who, when = claimed_by(store, reply_id)
    assert who == "me:1" and when is not None
    assert claims.take_over(store, reply_id, "third:3", lease) is None  # me:1 is alive, its lease fresh
    assert claims.begin_attempt(store, held) == 2 and held.attempts == 2


def test_a_push_on_another_host_is_not_judged_dead_by_a_local_pid(box: Outbox, store: Store) -> None:
    """A pid names a process on its own host only: one that does not exist here says nothing about another host."""
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    reply_id = approved(box)
    held = claims.claim(store, reply_id, f"elsewhere:{exited.pid}")
    assert isinstance(held, claims.Claim)
    assert claims.take_over(store, reply_id, "me:1", timedelta(minutes=30)) is None
    assert claimed_by(store, reply_id)[0] == f"elsewhere:{exited.pid}"


def test_a_reply_ended_dead_on_take_over_names_the_dead_push_and_is_held_by_nobody(box: Outbox,
                                                                                     store: Store) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)
    set_row(store, reply_id, text=CHANGED)
    assert claims.take_over(store, reply_id, "me:1", timedelta(minutes=30)) == claims.VOIDED_IN_FLIGHT
    assert claimed_by(store, reply_id) == (None, None)
    last = box.history(reply_id)[-1]
    assert (last.actor, last.to_state) == ("push me:1", "dead")
    assert last.detail == f"taken over from elsewhere:4242: {claims.VOIDED_IN_FLIGHT}"


def test_a_limited_push_handles_at_most_that_many_replies_abandoned_ones_included_as_its_dry_run_shows(
        box: Outbox, store: Store) -> None:
    texts = [TEXT, "您好，施工单位已调整作业时间。", "您好，已责令整改，请继续监督。"]
    ids = []
    for text in texts:
        reply = box.add(PLATFORM, "25445483", text, "市住建局", "zjj", "oa-system")
        ids.append(box.approve(reply.id, "张科长", content_hash=reply.content_hash).id)
    in_flight_when_the_push_died(store, ids[0])
    in_flight_when_the_push_died(store, ids[1])
    platform = Platform()
    pool: Any = Pool(platform)
    for expected in ([ids[0]], [ids[1]], [ids[2]]):
        assert [p.reply_id for p in plan(store, pool, limit=1)] == expected
        results = asyncio.run(Pusher(store, pool, pool.config, claimer="me:1").push(limit=1))
        assert [r.reply_id for r in results] == expected
    assert [text for call, text in platform.calls if call == "post"] == texts
