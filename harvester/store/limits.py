"""How many characters the store's bounded text columns hold, read from the table models (column -> length;
a column missing here is unbounded TEXT)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import String, Table

from harvester.store.models import MessageRow, QuarantineRow, ReplyRow


def text_lengths(model: type) -> dict[str, int]:
    """The length of each bounded text column of `model`'s table."""
    table = cast(Table, model.__table__)  # type: ignore[attr-defined]
    return {column.key: column.type.length for column in table.columns
            if isinstance(column.type, String) and column.type.length is not None}


MESSAGE_TEXT = text_lengths(MessageRow)
REPLY_TEXT = text_lengths(ReplyRow)
QUARANTINE_TEXT = text_lengths(QuarantineRow)
