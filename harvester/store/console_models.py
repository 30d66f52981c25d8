"""The web console's tables: local accounts (argon2 hashes), sign-in sessions (hashed tokens), and its audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from harvester.store.base import Base, BigId

ROLES = ("viewer", "drafter", "approver", "admin")


class ConsoleUserRow(Base):
    """One person who signs in to the console: a role, an argon2 hash of the password, disabled or not."""

    __tablename__ = "console_users"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class ConsoleSessionRow(Base):
    """A signed-in browser: only the SHA-256 of its cookie is kept, with the CSRF token its forms carry."""

    __tablename__ = "console_sessions"
    __table_args__ = (UniqueConstraint("token_hash"), Index("ix_console_sessions_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ConsoleAuditRow(Base):
    """One console action worth a trace: sign-ins, unmasked views, exports, reply decisions; who, when, what."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_at", "at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
