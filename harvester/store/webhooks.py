"""Webhook subscriptions to the change feed: add, list, which are due, and what a delivery attempt did."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from harvester.store.api_models import WebhookRow
from harvester.store.repository import Repository
from harvester.timeutil import utcnow


class WebhookError(ValueError):
    """A subscription that cannot be added or found as asked."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as the delivery loop and the API see it (the secret only where it is needed)."""

    id: int
    name: str
    url: str
    acked_seq: int
    failures: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_delivery_at: datetime | None
    dead_since: datetime | None
    secret: str = ""


def _subscription(row: WebhookRow, with_secret: bool = False) -> Subscription:
    return Subscription(row.id, row.name, row.url, row.acked_seq, row.failures, row.next_attempt_at,
                        row.last_error, row.last_delivery_at, row.dead_since, row.secret if with_secret else "")


def add_webhook(repo: Repository, name: str, url: str, from_seq: int) -> Subscription:
    """A new subscription receiving events after `from_seq`; the returned value carries its signing secret."""
    if repo.session.scalar(select(WebhookRow.id).where(WebhookRow.name == name)) is not None:
        raise WebhookError(f"a webhook named {name!r} exists already")
    row = WebhookRow(name=name, url=url, secret=secrets.token_hex(32), acked_seq=from_seq, created_at=utcnow(),
                     failures=0)
    repo.session.add(row)
    repo.session.flush()
    return _subscription(row, with_secret=True)


def list_webhooks(repo: Repository) -> list[Subscription]:
    """Every subscription, oldest first, without secrets."""
    return [_subscription(row) for row in repo.session.scalars(select(WebhookRow).order_by(WebhookRow.id))]


def due_webhooks(repo: Repository, now: datetime) -> list[Subscription]:
    """Live subscriptions whose backoff has passed, with their secrets (for signing)."""
    query = select(WebhookRow).where(WebhookRow.dead_since.is_(None), or_(
        WebhookRow.next_attempt_at.is_(None), WebhookRow.next_attempt_at <= now)).order_by(WebhookRow.id)
    return [_subscription(row, with_secret=True) for row in repo.session.scalars(query)]


def _row(repo: Repository, webhook_id: int) -> WebhookRow:
    row = repo.session.get(WebhookRow, webhook_id, with_for_update=True)
    if row is None:
        raise WebhookError(f"no webhook {webhook_id}")
    return row


def record_delivered(repo: Repository, webhook_id: int, seq: int) -> None:
    """The receiver acknowledged every event up to `seq`: move on and clear the failure state."""
    row = _row(repo, webhook_id)
    row.acked_seq = max(row.acked_seq, seq)
    row.failures, row.next_attempt_at, row.last_error, row.last_delivery_at = 0, None, None, utcnow()


def record_failed(repo: Repository, webhook_id: int, error: str, next_attempt_at: datetime, dead: bool) -> None:
    """A delivery failed: back off until `next_attempt_at`, or mark the subscription dead."""
    row = _row(repo, webhook_id)
    row.failures += 1
    row.last_error, row.next_attempt_at = error[:2000], next_attempt_at
    if dead and row.dead_since is None:
        row.dead_since = utcnow()


def resume_webhook(repo: Repository, webhook_id: int) -> Subscription:
    """Deliver to a dead (or backing-off) subscription again, from its acknowledged seq."""
    row = _row(repo, webhook_id)
    row.dead_since, row.failures, row.next_attempt_at = None, 0, None
    return _subscription(row)
