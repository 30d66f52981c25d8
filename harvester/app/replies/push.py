"""`harvester push`: send approved replies through their platform's adapter, exactly once.

Exactly once rests on three habits. A reply is marked `sending` (committed) before the adapter is called.
Any post whose outcome is not a definite refusal counts as possibly landed, so before posting a reply that
was ever handed to an adapter (an earlier failed attempt, or a push that died mid-send) the platform is asked
first (`find_existing`), and only a certain "absent" lets it post again. And a push takes over a `sending`
reply only when the push holding it is dead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tenacity import RetryCallState

from adapters.protocols import ReplyOutcome, ReplyReceipt
from harvester.app.replies import claims
from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.claims import Claim, QueuedReply
from harvester.app.replies.retry import Deferred, Transient
from harvester.app.replies.settings import ReplyConfig
from harvester.runs_debug import crash_point
from harvester.store.db import Store
from harvester.store.outbox.states import State
from harvester.timeutil import utcnow

logger = logging.getLogger(__name__)

FINAL = {ReplyOutcome.POSTED: State.POSTED, ReplyOutcome.PENDING_MODERATION: State.POSTED_PENDING_MODERATION,
         ReplyOutcome.REJECTED: State.REJECTED}


@dataclass(frozen=True, slots=True)
class PushResult:
    """What one push did with one reply: its state afterwards ("skipped" when it was not tried) and why."""

    reply_id: int
    platform: str
    external_id: str
    state: str
    detail: str


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class Pusher:
    """Pushes due replies one at a time; `sleep` is tenacity's (tests may pass a recording one)."""

    def __init__(self, store: Store, pool: AdapterPool, config: ReplyConfig, claimer: str | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.store, self.pool, self.config, self.sleep = store, pool, config, sleep
        self.claimer = claimer or claims.claimer_id()
        self.actor = f"push {self.claimer}"

    async def push(self, platforms: Collection[str] = (), limit: int | None = None) -> list[PushResult]:
        """Finish replies dead pushes left in `sending`, then send approved ones that are due; at most `limit`
        replies in all (those left wait for the next push, as `plan` shows)."""
        results: list[PushResult] = []
        for row in claims.sending(self.store, platforms):
            if limit is not None and len(results) >= limit:
                break
            if claims.is_abandoned(row, self.config.lease) and not self._skipped(row, results):
                held = claims.take_over(self.store, row.id, self.claimer, self.config.lease)
                if isinstance(held, Claim):
                    crash_point("push.claimed")
                    results.append(await self._deliver(held))
                elif held == claims.VOIDED_IN_FLIGHT:
                    logger.error("reply %s (%s/%s): %s", row.id, row.platform, row.external_id, held)
                    results.append(PushResult(row.id, row.platform, row.external_id, State.DEAD.value, held))
        for row in claims.due(self.store, platforms):
            if limit is not None and len(results) >= limit:
                break
            if self._skipped(row, results):
                continue
            held_or_why = claims.claim(self.store, row.id, self.claimer)
            if isinstance(held_or_why, Claim):
                crash_point("push.claimed")
                results.append(await self._deliver(held_or_why))
            elif held_or_why in (claims.VOIDED_NOTE, claims.VOIDED_IN_FLIGHT):
                state = State.DRAFT if held_or_why == claims.VOIDED_NOTE else State.DEAD
                results.append(PushResult(row.id, row.platform, row.external_id, state.value, held_or_why))
        return results

    def _skipped(self, row: QueuedReply, results: list[PushResult]) -> bool:
        problem = self.pool.problem(row.platform, row.account)
        if problem:
            logger.warning("reply %s (%s/%s) not sent: %s", row.id, row.platform, row.external_id, problem)
            results.append(PushResult(row.id, row.platform, row.external_id, "skipped", problem))
        return problem is not None

    # --- one reply -----------------------------------------------------------------------------------
    async def _deliver(self, held: Claim) -> PushResult:
        policy = self.config.retry
        retrying = policy.retrying(lambda: policy.max_attempts - held.attempts, self._note(held), self.sleep)
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(held)
        except Transient as failure:
            return self._give_up(held, failure.reason, policy.delay(failure, max(1, held.attempts)))
        except Deferred as deferred:  # the platform answered for certain that it stored nothing
            return self._give_up(held, deferred.reason, deferred.delay_s, must_look=False)
        raise AssertionError("tenacity ended without an outcome")

    async def _attempt(self, held: Claim) -> PushResult:
        if held.look_first:
            found = await self._look(held)
            if found is not None:
                return self._settle(held, found, "found on the platform, not posted again")
        if held.attempts >= self.config.retry.max_attempts:
            raise Transient(held.last_reason or "attempt cap reached")
        claims.begin_attempt(self.store, held)
        held.look_first = True  # from here on the reply may be on the platform whatever happens
        crash_point("push.attempt_counted")
        receipt = await self._post(held)
        crash_point("push.answered")
        if receipt.outcome is ReplyOutcome.AUTH_EXPIRED and not held.relogged:
            held.relogged = True
            claims.note(self.store, held, self.actor, f"session refused ({receipt.platform_message}): logging in again")
            await self.pool.reset(held.outgoing.platform)
            receipt = await self._post(held)  # auth_expired means nothing was stored: no need to look first
        return self._settle(held, receipt, "posted")

    async def _call(self, held: Claim, what: str) -> Any:
        platform = held.outgoing.platform
        adapter, outgoing = self.pool.adapter(platform), self.pool.outgoing(held.outgoing)
        method = adapter.post if what == "post" else adapter.find_existing
        try:
            return await asyncio.wait_for(method(outgoing), self.config.call_timeout_s)
        except Exception as error:  # OutcomeUnknown, timeouts, resets, browser crashes: the platform may hold it
            await self.pool.reset(platform)
            raise Transient(f"{what}: outcome unknown ({_describe(error)})") from error

    async def _look(self, held: Claim) -> ReplyReceipt | None:
        found: ReplyReceipt | None = await self._call(held, "find_existing")
        return found

    async def _post(self, held: Claim) -> ReplyReceipt:
        receipt: ReplyReceipt = await self._call(held, "post")
        return receipt

    def _settle(self, held: Claim, receipt: ReplyReceipt, how: str) -> PushResult:
        words = receipt.platform_message
        if receipt.outcome is ReplyOutcome.RETRY_LATER:
            raise Transient(f"platform asked to retry later: {words}", receipt.retry_after_s)
        if receipt.outcome is ReplyOutcome.AUTH_EXPIRED:
            raise Deferred(f"login refused after logging in again: {words}", self.config.retry.auth_retry_after_s)
        target = FINAL[receipt.outcome]
        fields: dict[str, Any] = {"platform_message": words, "not_before": None}
        if target is State.REJECTED:
            fields["reason"] = words
        else:
            fields.update(platform_reply_id=receipt.platform_reply_id, posted_at=utcnow(), reason=None)
        detail = f"{how}: {words}" if target is not State.REJECTED else f"rejected: {words}"
        return self._finish(held, target, detail, **fields)

    def _give_up(self, held: Claim, reason: str, delay_s: float, must_look: bool = True) -> PushResult:
        if held.attempts >= self.config.retry.max_attempts:
            return self._finish(held, State.DEAD, f"gave up after {held.attempts} attempts: {reason}", reason=reason)
        not_before = utcnow() + timedelta(seconds=delay_s)
        detail = f"deferred after attempt {held.attempts}: {reason}; next push after {not_before:%H:%M:%S} UTC"
        fields = {} if must_look else {"must_look": False}
        return self._finish(held, State.APPROVED, detail, reason=reason, not_before=not_before, **fields)

    def _finish(self, held: Claim, target: State, detail: str, **fields: Any) -> PushResult:
        claims.finish(self.store, held, target, self.actor, detail, **fields)
        out = held.outgoing
        logger.info("reply %s (%s/%s): %s — %s", held.reply_id, out.platform, out.external_id, target.value, detail)
        return PushResult(held.reply_id, out.platform, out.external_id, target.value, detail)

    def _note(self, held: Claim) -> Callable[[RetryCallState], None]:
        def note(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            held.last_reason = error.reason if isinstance(error, Transient) else str(error)
            wait = state.next_action.sleep if state.next_action else 0.0
            claims.note(self.store, held, self.actor,
                        f"attempt {held.attempts} failed: {held.last_reason}; retrying in {wait:.1f}s")
        return note
