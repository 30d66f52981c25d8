"""Bounds of numeric parameters: ids fit the store's integer columns, so no input overflows a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError

MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys (PostgreSQL int4)
MAX_SEQ = 2**63 - 1  # the feed's BIGINT seq

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="next_cursor of the previous page")]
LinkGroup = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
Seq = Annotated[int, Query(ge=0, le=MAX_SEQ, description="the last seq you processed (0: from the start)")]


def invalid(location: str, name: str, message: str) -> RequestValidationError:
    """A 422 in FastAPI's own documented shape (detail: [{loc, msg, type}]), for checks beyond the types."""
    return RequestValidationError([{"loc": (location, name), "msg": message, "type": "value_error"}])
