"""The HTTP API's tables: API tokens (stored hashed), the audit of unmasked reads, webhook subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from harvester.store.base import Base, BigId


class ApiTokenRow(Base):
    """One API token: only the SHA-256 of the secret is kept; `prefix` lets people tell tokens apart."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("name"), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class FullReadRow(Base):
    """One read of personal data unmasked (scope read-full): which token, when, and what it asked for."""

    __tablename__ = "api_full_reads"
    __table_args__ = (Index("ix_api_full_reads_token_id", "token_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    at: Mapped[datetime]
    request: Mapped[str] = mapped_column(Text)


class WebhookRow(Base):
    """A push subscription to the change feed: where to POST, the HMAC key, and the last seq it acknowledged.

    Deliveries start after `acked_seq`; failures back off until `next_attempt_at`; after too many in a row the
    subscription is `dead_since` (alerted) and waits to be resumed, keeping its seq, so nothing is dropped."""

    __tablename__ = "api_webhooks"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_delivery_at: Mapped[datetime | None]
    dead_since: Mapped[datetime | None]
