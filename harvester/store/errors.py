"""Errors of the database that callers outside the store catch: the store's names for them."""

from __future__ import annotations

from sqlalchemy.exc import DataError, IntegrityError

__all__ = ["DataError", "IntegrityError"]
# DataError: the database refuses a value (too long for its column, out of range, a NUL byte on PostgreSQL).
# IntegrityError: a constraint refuses a row (a unique key another transaction inserted first).
