"""What every supported store can hold: a message's values checked against its columns' types and lengths.

SQLite keeps a 129-character id in a VARCHAR(128), a NUL character, or a count past 2**31; PostgreSQL refuses
each one and with it the whole batch. Checking here, against the typed models, makes both databases refuse the
same rows, one row at a time, with a reason that names the field (never its value: it may be a citizen's text).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harvester.schema import Message, Reply
from harvester.store.limits import MESSAGE_TEXT, QUARANTINE_TEXT, REPLY_TEXT
from harvester.vocab import Kind, Status, Topic

INT32_MAX = 2**31 - 1  # PostgreSQL INTEGER
MIN_YEAR, MAX_YEAR = 2, 9998  # an aware time here converts to UTC (and back) without overflow

REQUIRED_TEXT = ("platform", "external_id", "url", "board_id", "addressee", "title", "body", "status_raw")
OPTIONAL_TEXT = ("kind_raw", "topic_raw", "author", "letter_no", "region", "handling_unit")
REPLY_OPTIONAL_TEXT = ("organisation", "external_id", "author", "title")
VOCABULARIES: dict[str, type] = {"status": Status, "kind": Kind, "topic": Topic}


QUARANTINE_ID_LIMIT = QUARANTINE_TEXT.get("external_id") or 128


def text_problem(name: str, value: Any, limit: int | None = None) -> str | None:
    """Why `value` cannot be stored as text on every database, or None."""
    if not isinstance(value, str):
        return f"{name} is {type(value).__name__}, not text"
    if "\x00" in value:
        return f"{name} holds a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name} is not valid Unicode (a lone surrogate)"
    if limit is not None and len(value) > limit:
        return f"{name} is {len(value)} characters, over the {limit} its column holds"
    return None


def moment_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be stored as an aware time, or None."""
    if not isinstance(value, datetime):
        return f"{name} is {type(value).__name__}, not a datetime"
    if value.tzinfo is None or value.utcoffset() is None:
        return f"{name} is a naive datetime"
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return f"{name} year {value.year} is out of range"
    return None


def count_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be stored as a count (None allowed), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} is {type(value).__name__}, not an integer"
    if not 0 <= value <= INT32_MAX:
        return f"{name} {value} is out of range (0 to {INT32_MAX})"
    return None


def message_problems(message: Message) -> list[str]:
    """Every reason some supported database could not store this message as it is; empty when all can."""
    return [p for p in _message_checks(message) if p]


def _message_checks(message: Message) -> Iterator[str | None]:
    for name in REQUIRED_TEXT:
        yield text_problem(name, getattr(message, name), MESSAGE_TEXT.get(name))
    for name in OPTIONAL_TEXT:
        if (value := getattr(message, name)) is not None:
            yield text_problem(name, value, MESSAGE_TEXT.get(name))
    for name, vocabulary in VOCABULARIES.items():
        if not isinstance(getattr(message, name), vocabulary):
            yield f"{name} is not a {vocabulary.__name__}"
    yield from (moment_problem(name, getattr(message, name)) for name in ("posted_at", "fetched_at"))
    if message.updated_at is not None:
        yield moment_problem("updated_at", message.updated_at)
    yield from (count_problem(name, getattr(message, name)) for name in ("views", "likes"))
    if message.overdue is not None and not isinstance(message.overdue, bool):
        yield "overdue is not a boolean"
    yield from _collection_checks(message)
    if not isinstance(message.replies, tuple | list):
        yield "replies is not a sequence"
        return
    for index, reply in enumerate(message.replies):
        yield from _reply_checks(f"replies[{index}]", reply)


def _collection_checks(message: Message) -> Iterator[str | None]:
    if not isinstance(message.satisfaction, dict):
        yield "satisfaction is not a mapping"
    else:
        for key, value in message.satisfaction.items():
            yield text_problem("satisfaction key", key) or count_problem("satisfaction value", value) or (
                "satisfaction value is None, not an integer" if value is None else None)
    if not isinstance(message.attachments, tuple | list):
        yield "attachments is not a sequence"
    else:
        yield from (text_problem(f"attachments[{i}]", a) for i, a in enumerate(message.attachments))


def _reply_checks(name: str, reply: Any) -> Iterator[str | None]:
    if not isinstance(reply, Reply):
        yield f"{name} is {type(reply).__name__}, not a Reply"
        return
    yield text_problem(f"{name}.text", reply.text)
    for field in REPLY_OPTIONAL_TEXT:
        if (value := getattr(reply, field)) is not None:
            yield text_problem(f"{name}.{field}", value, REPLY_TEXT.get(field))
    if reply.replied_at is not None:
        yield moment_problem(f"{name}.replied_at", reply.replied_at)
    if not isinstance(reply.official, bool):
        yield f"{name}.official is not a boolean"


def quarantine_id(external_id: Any) -> str | None:
    """The message id as the quarantine row can hold it: text without NUL or lone surrogates, cut to its
    column; None when nothing of it is left."""
    if not isinstance(external_id, str):
        return None
    clean = external_id.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return clean[:QUARANTINE_ID_LIMIT] or None
