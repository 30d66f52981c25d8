"""Outbox states and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a reply is on its way to the platform (the `reply_outbox.state` column)."""

    DRAFT = "draft"  # written, not approved (also where a voided approval sends it back)
    APPROVED = "approved"  # approved text, waiting for a push (or for `not_before` after a deferred attempt)
    SENDING = "sending"  # claimed by a push, which may be talking to the platform right now
    POSTED = "posted"  # the platform accepted it and showed it
    POSTED_PENDING_MODERATION = "posted_pending_moderation"  # accepted into the platform's moderation queue
    VERIFIED = "verified"  # a later harvest saw it on the platform
    REJECTED = "rejected"  # refused for good; `reason` holds the platform's words
    DEAD = "dead"  # gave up after the attempt cap; `reason` holds the last failure
    CANCELLED = "cancelled"  # withdrawn before it was sent


TRANSITIONS: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.APPROVED, State.CANCELLED, State.DRAFT}),
    # approved -> dead: changed after an earlier post whose outcome is unknown (it may be on the platform)
    State.APPROVED: frozenset({State.SENDING, State.DRAFT, State.CANCELLED, State.DEAD}),
    # sending -> sending records a failed attempt or a take-over; sending -> approved defers to a later push
    State.SENDING: frozenset({State.SENDING, State.POSTED, State.POSTED_PENDING_MODERATION, State.REJECTED,
                              State.DEAD, State.APPROVED}),
    State.POSTED: frozenset({State.VERIFIED}),
    State.POSTED_PENDING_MODERATION: frozenset({State.VERIFIED}),
    State.REJECTED: frozenset({State.DRAFT}),  # edited after a refusal: approve the new text again
    State.VERIFIED: frozenset(),
    State.DEAD: frozenset(),
    State.CANCELLED: frozenset(),
}

EDITABLE = frozenset({State.DRAFT, State.APPROVED, State.REJECTED})
CANCELLABLE = frozenset({State.DRAFT, State.APPROVED})
AWAITING_CONFIRMATION = (State.POSTED, State.POSTED_PENDING_MODERATION)


class IllegalTransition(ValueError):
    """A reply was asked to move where its state does not allow (e.g. cancel one that is being sent)."""


def check_transition(reply_id: int, current: str, target: State) -> None:
    """Raise IllegalTransition unless `current` may move to `target`."""
    if target not in TRANSITIONS[State(current)]:
        raise IllegalTransition(f"reply {reply_id} is {current}; it cannot become {target.value}")
