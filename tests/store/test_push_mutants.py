"""What a citizen and an operator see of one push (SQLite and PostgreSQL), against a platform in memory that
answers from a script: the text posted and how often, the reply's state, reason, not_before and audit trail
after a post, a refusal, a wait the platform asked for, an outcome nobody could read, a login refused, and
the attempt cap."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.protocols import OutgoingReply, ReplyOutcome, ReplyReceipt
from harvester.app.replies import Outbox, State, claims
from harvester.app.replies.push import Pusher, PushResult
from harvester.app.replies.retry import RetryPolicy
from harvester.app.replies.settings import ReplyConfig
from harvester.store.db import Store
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, letter, store_batch
from tests.store.test_exactly_once_push import claimed_by, in_flight_when_the_push_died, set_row

TEXT = "您好，经核查，该路段路灯已于本周修复。\n感谢您的反映。"
OTHER_TEXT = "您好，您反映的噪音问题已转交区环保局处理。"
ACTOR = "push me:1"

Answer = ReplyReceipt | BaseException


def posted(words: str = "回复成功", reply_id: str = "p-1") -> ReplyReceipt:
    return ReplyReceipt(ReplyOutcome.POSTED, reply_id, words)


@dataclass
class Platform:
    """Answers each post with the next scripted answer (a receipt, or an error raised after storing nothing,
    or, with `stores_then_fails`, after storing the reply); shows what it stored to find_existing."""

    answers: list[Answer] = field(default_factory=list)
    stores_then_fails: bool = False
    shown: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        self.calls.append(("find", reply.text))
        if reply.text in self.shown:
            return ReplyReceipt(ReplyOutcome.POSTED, "p-found", "已在信件下显示")
        return None

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        self.calls.append(("post", reply.text))
        answer = self.answers.pop(0) if self.answers else posted()
        if isinstance(answer, BaseException):
            if self.stores_then_fails:
                self.shown.append(reply.text)
            raise answer
        if answer.outcome in (ReplyOutcome.POSTED, ReplyOutcome.PENDING_MODERATION):
            self.shown.append(reply.text)
        return answer

    async def close(self) -> None:
        return None


class Pool:
    """What the push needs of an AdapterPool, serving PLATFORM only; records resets and may refuse a platform."""

    def __init__(self, platform: Platform, problem: str | None = None) -> None:
        self.platform, self.problem_text = platform, problem
        self.resets: list[str] = []

    def problem(self, platform: str, account: str) -> str | None:
        return self.problem_text if (platform, account) == (PLATFORM, "jtj") else None

    def adapter(self, platform: str) -> Platform:
        return {PLATFORM: self.platform}[platform]

    def outgoing(self, reply: OutgoingReply) -> OutgoingReply:
        return reply

    async def reset(self, platform: str) -> None:
        self.resets.append(platform)


@dataclass
class Run:
    platform: Platform
    pool: Pool
    slept: list[float]
    results: list[PushResult]


def config(**retry: Any) -> ReplyConfig:
    values: dict[str, Any] = {"backoff_initial_s": 0.5, "backoff_max_s": 0.5, "max_inline_wait_s": 10.0}
    values.update(retry)
    return ReplyConfig(retry=RetryPolicy(**values))


def push(store: Store, platform: Platform, cfg: ReplyConfig | None = None, problem: str | None = None,
         **kwargs: Any) -> Run:
    pool = Pool(platform, problem)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    served: Any = pool
    pusher = Pusher(store, served, cfg or config(), claimer="me:1", sleep=sleep)
    return Run(platform, pool, slept, asyncio.run(pusher.push(**kwargs)))


@pytest.fixture
def box(store: Store, run_id: int) -> Outbox:
    store_batch(store, [letter("25445483"), letter("25445484")], run_id)
    return Outbox(store)


def approved(box: Outbox, text: str = TEXT, external_id: str = "25445483") -> int:
    reply = box.add(PLATFORM, external_id, text, "市交通局", "jtj", "oa-system")
    return box.approve(reply.id, "李科长", content_hash=reply.content_hash).id


def trail(box: Outbox, reply_id: int) -> list[tuple[str, str | None]]:
    """The push's entries in the audit trail after its claims: (to_state, detail)."""
    return [(e.to_state, e.detail) for e in box.history(reply_id)
            if e.actor == ACTOR and not (e.detail or "").startswith("claimed")]


def near(moment: datetime | None, expected: datetime, slack_s: float = 5.0) -> bool:
    return moment is not None and abs((moment - expected).total_seconds()) <= slack_s


# --- definite outcomes -----------------------------------------------------------------------------------
def test_an_approved_reply_is_posted_once_with_its_text_and_the_platforms_id(
        box: Outbox, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="harvester.app.replies.push")
    reply_id = approved(box)
    before = utcnow()
    run = push(store, Platform([posted("回复成功", "p-778")]))
    assert run.platform.calls == [("post", TEXT)]
    (result,) = run.results
    assert result == PushResult(reply_id, PLATFORM, "25445483", "posted", "posted: 回复成功")
    view = box.get(reply_id)
    assert (view.state, view.platform_reply_id, view.platform_message, view.reason, view.not_before,
            view.attempts) == ("posted", "p-778", "回复成功", None, None, 1)
    assert near(view.posted_at, before)
    assert trail(box, reply_id)[-1] == ("posted", "posted: 回复成功")
    assert run.pool.resets == [] and run.slept == []
    assert f"reply {reply_id} ({PLATFORM}/25445483): posted — posted: 回复成功" in caplog.messages
    again = push(store, run.platform)
    assert again.results == [] and again.platform.calls == [("post", TEXT)]  # posted stays posted


def test_a_reply_held_for_moderation_counts_as_posted_pending(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    run = push(store, Platform([ReplyReceipt(ReplyOutcome.PENDING_MODERATION, None, "回复已提交，审核中")]))
    assert [r.state for r in run.results] == ["posted_pending_moderation"]
    view = box.get(reply_id)
    assert (view.state, view.platform_message, view.platform_reply_id) == (
        "posted_pending_moderation", "回复已提交，审核中", None)
    assert view.posted_at is not None


def test_a_refused_reply_is_rejected_with_the_platforms_words_and_never_retried(box: Outbox,
                                                                               store: Store) -> None:
    reply_id = approved(box)
    run = push(store, Platform([ReplyReceipt(ReplyOutcome.REJECTED, None, "内容含有敏感词")]))
    assert run.platform.calls == [("post", TEXT)]
    (result,) = run.results
    assert (result.state, result.detail) == ("rejected", "rejected: 内容含有敏感词")
    view = box.get(reply_id)
    assert (view.state, view.reason, view.platform_message, view.posted_at, view.platform_reply_id) == (
        "rejected", "内容含有敏感词", "内容含有敏感词", None, None)
    assert trail(box, reply_id)[-1] == ("rejected", "rejected: 内容含有敏感词")
    assert push(store, run.platform).results == [] and len(run.platform.calls) == 1


# --- waits and unknown outcomes --------------------------------------------------------------------------
def test_a_short_wait_the_platform_asks_for_is_slept_then_the_reply_is_posted(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    busy = ReplyReceipt(ReplyOutcome.RETRY_LATER, None, "发帖过于频繁", retry_after_s=3.0)
    run = push(store, Platform([busy]))
    # nothing was stored by a retry_later answer, yet the push looks before posting again (exactly once first)
    assert run.platform.calls == [("post", TEXT), ("find", TEXT), ("post", TEXT)]
    assert run.slept == [3.0]
    assert [r.state for r in run.results] == ["posted"]
    assert trail(box, reply_id) == [
        ("sending", "attempt 1 failed: platform asked to retry later: 发帖过于频繁; retrying in 3.0s"),
        ("posted", "posted: 回复成功")]
    assert box.get(reply_id).attempts == 2


def test_a_long_wait_the_platform_asks_for_defers_the_reply_until_then(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    busy = ReplyReceipt(ReplyOutcome.RETRY_LATER, None, "系统维护中", retry_after_s=600.0)
    before = utcnow()
    run = push(store, Platform([busy]))
    assert run.platform.calls == [("post", TEXT)] and run.slept == []
    (result,) = run.results
    view = box.get(reply_id)
    assert (result.state, view.state, view.attempts) == ("approved", "approved", 1)
    assert view.reason == "platform asked to retry later: 系统维护中"
    assert near(view.not_before, before + timedelta(seconds=600))
    assert view.not_before is not None
    assert result.detail == ("deferred after attempt 1: platform asked to retry later: 系统维护中; "
                             f"next push after {view.not_before:%H:%M:%S} UTC")
    assert trail(box, reply_id)[-1] == ("approved", result.detail)

    assert push(store, run.platform).results == []  # not due yet: nothing sent
    set_row(store, reply_id, not_before=utcnow() - timedelta(seconds=1))  # the wait is over
    later = push(store, run.platform)
    assert run.platform.calls == [("post", TEXT), ("find", TEXT), ("post", TEXT)]
    assert [r.state for r in later.results] == ["posted"]
    assert box.get(reply_id).not_before is None and box.get(reply_id).reason is None


def test_an_unknown_outcome_is_looked_up_and_not_posted_twice_when_it_landed(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    platform = Platform([TimeoutError("no answer\nsecond line")], stores_then_fails=True)
    run = push(store, platform)
    assert platform.calls == [("post", TEXT), ("find", TEXT)]
    assert platform.shown == [TEXT]
    (result,) = run.results
    assert (result.state, result.detail) == ("posted", "found on the platform, not posted again: 已在信件下显示")
    assert run.pool.resets == [PLATFORM]
    assert trail(box, reply_id)[0] == (
        "sending", "attempt 1 failed: post: outcome unknown (TimeoutError: no answer); retrying in 0.5s")
    view = box.get(reply_id)
    assert (view.state, view.platform_reply_id, view.attempts) == ("posted", "p-found", 1)


def test_an_unknown_outcome_that_did_not_land_is_posted_again_after_looking(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    platform = Platform([ConnectionResetError()])
    run = push(store, platform)
    assert platform.calls == [("post", TEXT), ("find", TEXT), ("post", TEXT)]
    assert platform.shown == [TEXT]
    assert run.slept == [0.5] and run.pool.resets == [PLATFORM]
    assert trail(box, reply_id)[0] == (
        "sending", "attempt 1 failed: post: outcome unknown (ConnectionResetError); retrying in 0.5s")
    assert (box.get(reply_id).state, box.get(reply_id).attempts) == ("posted", 2)


def test_an_unknown_outcome_past_the_pushs_attempts_is_deferred_and_looked_up_next_time(box: Outbox,
                                                                                        store: Store) -> None:
    reply_id = approved(box)
    cfg = config(attempts_per_push=1, backoff_initial_s=40.0, backoff_max_s=1000.0)
    before = utcnow()
    run = push(store, Platform([TimeoutError("read timed out")]), cfg)
    (result,) = run.results
    view = box.get(reply_id)
    assert (result.state, view.state, view.reason) == (
        "approved", "approved", "post: outcome unknown (TimeoutError: read timed out)")
    assert near(view.not_before, before + timedelta(seconds=40))  # the backoff after the first attempt
    set_row(store, reply_id, not_before=None)
    push(store, run.platform, cfg)
    assert run.platform.calls == [("post", TEXT), ("find", TEXT), ("post", TEXT)]
    assert box.get(reply_id).state == "posted"


def test_a_hung_post_counts_as_an_unknown_outcome(box: Outbox, store: Store) -> None:
    reply_id = approved(box)

    class Hanging(Platform):
        async def post(self, reply: OutgoingReply) -> ReplyReceipt:
            self.calls.append(("post", reply.text))
            await asyncio.sleep(30)
            raise AssertionError("the push waited past its call timeout")

    cfg = ReplyConfig(retry=RetryPolicy(attempts_per_push=1, backoff_initial_s=60.0), call_timeout_s=0.2)
    run = push(store, Hanging(), cfg)
    assert [r.state for r in run.results] == ["approved"]
    assert box.get(reply_id).reason == "post: outcome unknown (TimeoutError)"


# --- login refused ---------------------------------------------------------------------------------------
def test_a_refused_session_logs_in_again_and_posts_without_looking(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    expired = ReplyReceipt(ReplyOutcome.AUTH_EXPIRED, None, "登录已过期")
    run = push(store, Platform([expired]))
    assert run.platform.calls == [("post", TEXT), ("post", TEXT)]
    assert run.pool.resets == [PLATFORM]
    assert trail(box, reply_id) == [("sending", "session refused (登录已过期): logging in again"),
                                    ("posted", "posted: 回复成功")]
    assert box.get(reply_id).attempts == 1


def test_a_login_refused_twice_defers_the_reply_and_the_next_push_posts_without_looking(box: Outbox,
                                                                                       store: Store) -> None:
    reply_id = approved(box)
    expired = ReplyReceipt(ReplyOutcome.AUTH_EXPIRED, None, "请先登录")
    cfg = config(auth_retry_after_s=900.0)
    before = utcnow()
    run = push(store, Platform([expired, expired]), cfg)
    assert run.platform.calls == [("post", TEXT), ("post", TEXT)] and run.pool.resets == [PLATFORM]
    view = box.get(reply_id)
    assert (view.state, view.reason) == ("approved", "login refused after logging in again: 请先登录")
    assert near(view.not_before, before + timedelta(seconds=900))
    set_row(store, reply_id, not_before=None)
    push(store, run.platform, cfg)
    assert run.platform.calls == [("post", TEXT)] * 3  # certain nothing was stored: no look-up first


# --- the attempt cap -------------------------------------------------------------------------------------
def test_the_attempt_cap_ends_the_reply_dead_with_the_last_reason(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    cfg = config(max_attempts=2, attempts_per_push=5)
    run = push(store, Platform([OSError("connection refused"), OSError("connection refused")]), cfg)
    assert run.platform.calls == [("post", TEXT), ("find", TEXT), ("post", TEXT)]
    (result,) = run.results
    reason = "post: outcome unknown (OSError: connection refused)"
    assert (result.state, result.detail) == ("dead", f"gave up after 2 attempts: {reason}")
    view = box.get(reply_id)
    assert (view.state, view.reason, view.attempts) == ("dead", reason, 2)
    assert trail(box, reply_id)[-1] == ("dead", f"gave up after 2 attempts: {reason}")
    assert push(store, run.platform, cfg).results == [] and len(run.platform.calls) == 3


def test_a_reply_at_the_cap_is_looked_up_once_more_and_never_posted(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    held = claims.claim(store, reply_id, "earlier:1")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)
    claims.finish(store, held, State.APPROVED, "push earlier:1", "deferred", reason="post: outcome unknown (X)")
    run = push(store, Platform(), config(max_attempts=1))
    assert run.platform.calls == [("find", TEXT)]
    view = box.get(reply_id)
    assert (view.state, view.reason) == ("dead", "post: outcome unknown (X)")
    assert run.results[0].detail == "gave up after 1 attempts: post: outcome unknown (X)"


def test_a_reply_at_the_cap_found_on_the_platform_is_posted(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    held = claims.claim(store, reply_id, "earlier:1")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)
    claims.finish(store, held, State.APPROVED, "push earlier:1", "deferred", reason="post: outcome unknown (X)")
    run = push(store, Platform(shown=[TEXT]), config(max_attempts=1))
    assert run.platform.calls == [("find", TEXT)]
    assert (box.get(reply_id).state, box.get(reply_id).platform_reply_id) == ("posted", "p-found")


# --- which replies a push takes ------------------------------------------------------------------------
def test_a_limit_sends_only_that_many_replies(box: Outbox, store: Store) -> None:
    first, second = approved(box), approved(box, OTHER_TEXT, "25445484")
    run = push(store, Platform(), limit=1)
    assert len(run.results) == 1 and len(run.platform.calls) == 1
    states = {box.get(first).state, box.get(second).state}
    assert states == {"posted", "approved"}
    rest = push(store, run.platform, limit=5)
    assert len(rest.results) == 1 and sorted(run.platform.shown) == sorted([TEXT, OTHER_TEXT])


def test_a_platform_the_pool_cannot_serve_is_skipped_and_nothing_is_sent(
        box: Outbox, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    reply_id = approved(box)
    stuck = approved(box, OTHER_TEXT, "25445484")
    in_flight_when_the_push_died(store, stuck)
    run = push(store, Platform(), problem="no credentials for jtj")
    assert run.platform.calls == []
    assert sorted(run.results, key=lambda r: r.reply_id) == [
        PushResult(reply_id, PLATFORM, "25445483", "skipped", "no credentials for jtj"),
        PushResult(stuck, PLATFORM, "25445484", "skipped", "no credentials for jtj")]
    assert (box.get(reply_id).state, box.get(stuck).state) == ("approved", "sending")
    assert f"reply {reply_id} ({PLATFORM}/25445483) not sent: no credentials for jtj" in caplog.messages


def test_a_reply_left_sending_by_a_dead_push_is_taken_over_before_due_ones(box: Outbox, store: Store) -> None:
    fresh = approved(box, OTHER_TEXT, "25445484")
    stuck = approved(box)
    in_flight_when_the_push_died(store, stuck)
    run = push(store, Platform(), limit=1)
    assert [r.reply_id for r in run.results] == [stuck]
    assert run.platform.calls == [("find", TEXT), ("post", TEXT)]
    assert (box.get(stuck).state, box.get(fresh).state) == ("posted", "approved")


def test_a_push_for_other_platforms_leaves_this_platforms_replies_alone(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    stuck = approved(box, OTHER_TEXT, "25445484")
    in_flight_when_the_push_died(store, stuck)
    run = push(store, Platform(), platforms=["another-platform"])
    assert run.results == [] and run.platform.calls == []
    mine = push(store, run.platform, platforms=[PLATFORM])
    assert sorted(r.reply_id for r in mine.results) == sorted([reply_id, stuck])
    assert (box.get(reply_id).state, box.get(stuck).state) == ("posted", "posted")


def test_a_session_refused_again_after_a_retry_is_not_logged_in_a_second_time(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    expired = ReplyReceipt(ReplyOutcome.AUTH_EXPIRED, None, "登录已过期")
    busy = ReplyReceipt(ReplyOutcome.RETRY_LATER, None, "发帖过于频繁", retry_after_s=1.0)
    run = push(store, Platform([expired, busy, expired]))
    assert run.platform.calls == [("post", TEXT), ("post", TEXT), ("find", TEXT), ("post", TEXT)]
    assert run.pool.resets == [PLATFORM]
    view = box.get(reply_id)
    assert (view.state, view.reason) == ("approved", "login refused after logging in again: 登录已过期")


def test_a_reply_over_a_lowered_cap_without_a_reason_dies_saying_so(box: Outbox, store: Store) -> None:
    """An operator lowered max_attempts below what a reply had already used; it never posts again."""
    reply_id = approved(box)
    set_row(store, reply_id, attempts=2, reason=None, must_look=False)
    run = push(store, Platform(), config(max_attempts=1))
    assert run.platform.calls == []
    view = box.get(reply_id)
    assert (view.state, view.reason) == ("dead", "attempt cap reached")
    assert run.results[0].detail == "gave up after 2 attempts: attempt cap reached"


def test_a_taken_over_reply_changed_in_flight_is_reported_dead(box: Outbox, store: Store,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)
    set_row(store, reply_id, text=OTHER_TEXT)
    run = push(store, Platform())
    assert run.results == [PushResult(reply_id, PLATFORM, "25445483", "dead", claims.VOIDED_IN_FLIGHT)]
    assert run.platform.calls == []
    assert f"reply {reply_id} ({PLATFORM}/25445483): {claims.VOIDED_IN_FLIGHT}" in caplog.messages


def test_a_reply_edited_after_approval_in_the_table_goes_back_to_draft_unsent(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    set_row(store, reply_id, text=OTHER_TEXT)
    run = push(store, Platform())
    assert run.results == [PushResult(reply_id, PLATFORM, "25445483", "draft", claims.VOIDED_NOTE)]
    assert run.platform.calls == [] and box.get(reply_id).state == "draft"


def test_a_look_up_that_fails_sends_nothing_and_says_the_look_up_failed(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    in_flight_when_the_push_died(store, reply_id)

    class Unreachable(Platform):
        async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
            self.calls.append(("find", reply.text))
            raise ConnectionError("search page down")

    run = push(store, Unreachable(), config(attempts_per_push=1, backoff_initial_s=60.0, backoff_max_s=60.0))
    assert run.platform.calls == [("find", TEXT)] and run.pool.resets == [PLATFORM]
    view = box.get(reply_id)
    assert (view.state, view.reason) == ("approved", "find_existing: outcome unknown (ConnectionError: search page down)")


def test_a_skipped_account_does_not_stop_the_push_sending_the_next_reply(box: Outbox, store: Store) -> None:
    refused = approved(box)
    other = box.add(PLATFORM, "25445484", OTHER_TEXT, "市环保局", "hbj", "oa-system")
    other_id = box.approve(other.id, "王科长", content_hash=other.content_hash).id
    run = push(store, Platform(), problem="no credentials for jtj")
    assert [(r.reply_id, r.state) for r in run.results] == [(refused, "skipped"), (other_id, "posted")]
    assert run.platform.calls == [("post", OTHER_TEXT)]
    assert (box.get(refused).state, box.get(other_id).state) == ("approved", "posted")


def test_while_a_reply_is_posted_its_row_names_this_push_as_holder(box: Outbox, store: Store) -> None:
    """So no other push judges it abandoned and posts it a second time meanwhile."""
    fresh = approved(box, OTHER_TEXT, "25445484")
    stuck = approved(box)
    in_flight_when_the_push_died(store, stuck)
    holders: list[tuple[str, str | None]] = []

    class Watched(Platform):
        async def post(self, reply: OutgoingReply) -> ReplyReceipt:
            holders.append((reply.text, claimed_by(store, reply.reply_id)[0]))
            return await super().post(reply)

    push(store, Watched())
    assert sorted(holders) == sorted([(TEXT, "me:1"), (OTHER_TEXT, "me:1")])
    assert (box.get(fresh).state, box.get(stuck).state) == ("posted", "posted")
