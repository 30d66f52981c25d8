"""The two adapter contracts: fetch (request -> snapshot) and reply (approved reply -> receipt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from harvester.extract.snapshot import Snapshot


class FetchError(RuntimeError):
    """A fetch could not produce a snapshot (connection refused, DNS, browser crash); names the URL."""


class FetchTimeout(FetchError):
    """What the request asked to wait for (`wait_for`, `capture_json`) did not show up in time."""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One page to fetch, as a value: no callbacks, nothing adapter-specific.

    `wait_for` is a CSS selector the rendered page must contain before the snapshot is taken.
    `capture_json` is a URL substring: JSON responses the page itself requests whose URL contains it are
    captured too (adapters that run no page scripts ignore both). `timeout_s` overrides the adapter's default
    for navigation and each wait.
    """

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    wait_for: str | None = None
    capture_json: str | None = None
    timeout_s: float | None = None


@runtime_checkable
class FetchAdapter(Protocol):
    """Turns a request into a recorded snapshot that page objects parse (they never fetch themselves).

    `fetch` returns the page whatever its HTTP status (4xx/5xx included: page objects decide what a status
    means), with `fetched_at` aware. It raises `FetchTimeout` when a requested wait times out and
    `FetchError` when there is no page at all. `close` releases everything and may be called twice.
    """

    async def fetch(self, request: FetchRequest) -> Snapshot:
        """Fetch `request` and return what the platform served (or rendered)."""
        ...

    async def close(self) -> None:
        """Release connections, browsers and files; idempotent."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingReply:
    """An approved reply, ready to post. `account` names the credentials to post as (resolved from secrets).

    `idempotency_key` is stable for this reply across attempts and processes; adapters that can embed or
    send it (a hidden marker, a client token) do so, and `find_existing` may use it to recognise the reply.
    """

    reply_id: int
    idempotency_key: str
    platform: str
    external_id: str
    message_url: str
    board_id: str | None
    organisation: str
    account: str
    text: str


class ReplyOutcome(StrEnum):
    """What the platform did with a posted reply."""

    POSTED = "posted"  # visible on the platform; platform_reply_id is set
    PENDING_MODERATION = "pending_moderation"  # accepted, awaiting review (审核中); id set if the platform gave one
    RETRY_LATER = "retry_later"  # flood control, maintenance, 5xx: nothing was stored; wait retry_after_s
    REJECTED = "rejected"  # refused for good (closed thread, banned word, too long): do not retry as is
    AUTH_EXPIRED = "auth_expired"  # login/session/formhash no longer valid: re-authenticate, then retry


@dataclass(frozen=True, slots=True)
class ReplyReceipt:
    """The platform's answer to one reply, in its own words and with its own id.

    `raw` is a short excerpt of the response for the audit trail; it never holds cookies, tokens or
    passwords.
    """

    outcome: ReplyOutcome
    platform_reply_id: str | None
    platform_message: str
    retry_after_s: float | None = None
    raw: str = ""


class OutcomeUnknown(RuntimeError):
    """What the platform holds cannot be told from what came back; after a send, run `find_existing`."""


@runtime_checkable
class ReplyAdapter(Protocol):
    """Posts approved replies back to a platform, exactly once.

    Exactly-once rests on the caller, not on `post` alone. A post whose outcome is unknown (timeout,
    connection reset, crash after sending) may or may not have landed, so before ANY re-post of a reply
    the caller must call `find_existing`; only when it returns None may `post` run again. Hence:

    - `find_existing(reply)` looks on the platform (thread page, back-office list) for this reply. It
      returns a receipt (`POSTED` or `PENDING_MODERATION`, with the platform's id when visible) if the reply
      is there, None if it is certainly not there, and raises if it cannot tell (page unreachable, layout
      changed) — an unknown answer must never be read as "absent".
    - `post(reply)` sends the reply once, with no internal retries of the send itself, and classifies the
      platform's answer into a `ReplyReceipt`. Network failures after the request may have left the
      process raise (outcome unknown); failures known to have stored nothing return `RETRY_LATER`.
    - `close()` releases sessions and browsers; idempotent.
    """

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        """The receipt of this reply if the platform already shows it; None only if certainly absent."""
        ...

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        """Send the reply once and report what the platform said."""
        ...

    async def close(self) -> None:
        """Release sessions and browsers; idempotent."""
        ...
