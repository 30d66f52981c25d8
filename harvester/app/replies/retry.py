"""When a failed attempt is tried again: tenacity backoff within a push, the platform's own waits, the cap."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

from harvester.config import RepliesSection

REPLIES = RepliesSection()


class Transient(Exception):  # noqa: N818 - a failure kind, not an error of ours
    """An attempt that may succeed later: 5xx, flood control, timeout, or an outcome we could not read.

    `retry_after_s` is the platform's own wait (flood interval, Retry-After), when it named one.
    """

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after_s = reason, retry_after_s


class Deferred(Exception):  # noqa: N818
    """Stop trying this reply in this push (e.g. login refused twice); a later push may try again."""

    def __init__(self, reason: str, delay_s: float) -> None:
        super().__init__(reason)
        self.reason, self.delay_s = reason, delay_s


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`max_attempts` posts per reply over all pushes, then dead; `attempts_per_push` within one push.

    Waits of up to `max_inline_wait_s` (the platform's, or the exponential backoff) are slept in the push;
    a longer wait ends the push's attempts and sets the reply's `not_before` instead.
    """

    max_attempts: int = REPLIES.max_attempts  # the defaults live in harvester.config ([replies])
    attempts_per_push: int = REPLIES.attempts_per_push
    backoff_initial_s: float = REPLIES.backoff_initial_s
    backoff_max_s: float = REPLIES.backoff_max_s
    max_inline_wait_s: float = REPLIES.max_inline_wait_s
    auth_retry_after_s: float = REPLIES.auth_retry_after_s

    def backoff(self, attempt_number: int) -> float:
        """The exponential wait after the n-th failed attempt (1-based)."""
        return min(self.backoff_max_s, self.backoff_initial_s * 2 ** max(0, attempt_number - 1))

    def delay(self, failure: Transient, attempt_number: int) -> float:
        """How long to wait after `failure`: the platform's word when it gave one, else the backoff."""
        return failure.retry_after_s if failure.retry_after_s is not None else self.backoff(attempt_number)

    def retrying(self, attempts_left: Callable[[], int],
                 before_sleep: Callable[[RetryCallState], None] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> AsyncRetrying:
        """Tenacity's loop for one reply: retries Transient only, re-raises the last failure when it stops."""

        def wait(state: RetryCallState) -> float:
            failure = _failure(state)
            if failure is not None and failure.retry_after_s is not None:
                return failure.retry_after_s
            return wait_exponential(multiplier=self.backoff_initial_s, max=self.backoff_max_s)(state)

        def wait_too_long(state: RetryCallState) -> bool:
            failure = _failure(state)
            return failure is not None and wait(state) > self.max_inline_wait_s

        return AsyncRetrying(retry=retry_if_exception_type(Transient), wait=wait, reraise=True, sleep=sleep,
                             stop=stop_any(stop_after_attempt(self.attempts_per_push),
                                           _StopWhen(lambda _state: attempts_left() <= 0), _StopWhen(wait_too_long)),
                             before_sleep=before_sleep)


class _StopWhen(stop_base):
    """A tenacity stop condition from a predicate over the retry state."""

    def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate(retry_state)


def _failure(state: RetryCallState) -> Transient | None:
    error = state.outcome.exception() if state.outcome is not None else None
    return error if isinstance(error, Transient) else None
