"""Stored records as the API sends them: times in Beijing time (ISO 8601), personal data masked by scope."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harvester.privacy import mask_record
from harvester.timeutil import to_shanghai


def plain(value: Any) -> Any:
    """JSON-ready data: aware datetimes as ISO 8601 in Asia/Shanghai, containers recursively."""
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def message_out(record: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """A message record for a caller: unmasked only for scope read-full."""
    result: dict[str, Any] = plain(record if full else mask_record(record))
    return result
