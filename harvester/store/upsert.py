"""The one dialect-aware INSERT … ON CONFLICT DO UPDATE, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class UnsupportedDatabase(ValueError):
    """The store runs on SQLite and PostgreSQL only."""

def upsert(session: Session, table: Table, values: Mapping[str, Any], keys: Sequence[str],
           replace: Sequence[str] = (), increments: Mapping[str, Any] | None = None) -> Any:
    """An INSERT of `values` that, when a row with the same `keys` exists, updates that row instead.

    `replace` names columns that take the new value; `increments` maps columns to expressions over the existing
    row (e.g. `table.c.times_seen + 1`). With neither, a conflict leaves the existing row alone. Add
    `.returning(...)` to learn what happened; execute it with `session.execute`.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values)
    else:
        raise UnsupportedDatabase(f"no upsert for the {dialect} dialect; the store supports SQLite and PostgreSQL")
    updates = {column: statement.excluded[column] for column in replace} | dict(increments or {})
    if not updates:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    return statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
