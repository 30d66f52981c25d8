"""Raw field values -> canonical ones: dates, vocabulary, numbers, satisfaction, replies. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harvester.definition.model import MESSAGE_FIELDS, REQUIRED_FIELDS, Definition
from harvester.definition.rules import Rule
from harvester.schema import Reply
from harvester.timeutil import parse_local
from harvester.vocab import UnknownLabel, kind_of, status_of, topic_of
from spiders.generic.detail import Extraction, RawReply


@dataclass(frozen=True, slots=True)
class Letter:
    """A letter's canonical values by Message field name, and the definition fields that failed (with why)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _date(text: str, rule: Rule | None, definition: Definition) -> Any:
    formats = (rule.formats if rule else ()) or definition.date_formats
    return parse_local(text, formats) if formats else parse_local(text)


def row_posted_at(values: Mapping[str, Any], definition: Definition) -> datetime | None:
    """A list row's posting time (its `posted_at` as the list shows it), None when absent or unreadable: the
    detail page's value is the one stored and checked."""
    text = values.get("posted_at")
    if not text:
        return None
    try:
        return _date(str(text), definition.list.fields.get("posted_at"), definition)
    except ValueError:
        return None


def _number(text: str) -> int:
    digits = text.replace(",", "").strip()
    if not digits.isdigit():
        raise ValueError(f"{text!r} is not a number")
    return int(digits)


def _converters(definition: Definition) -> dict[str, Callable[[Any], dict[str, Any]]]:
    vocab = definition.vocabulary

    def satisfaction(text: str) -> dict[str, Any]:
        if text not in vocab.satisfaction:
            raise ValueError(f"unknown satisfaction label {text!r} (add it under [options.vocabulary.satisfaction])")
        return {"satisfaction": {"overall": vocab.satisfaction[text]}}

    def overdue(text: str) -> dict[str, Any]:
        if text not in vocab.overdue:
            raise ValueError(f"unknown overdue label {text!r} (add it under [options.vocabulary.overdue] as true "
                             "or false)")
        return {"overdue": vocab.overdue[text]}

    return {
        "status": lambda t: {"status": status_of(t, dict(vocab.status)), "status_raw": t},
        "kind": lambda t: {"kind": kind_of(t, dict(vocab.kind)), "kind_raw": t},
        "topic": lambda t: {"topic": topic_of(t, dict(vocab.topic)), "topic_raw": t},
        "posted_at": lambda t: {"posted_at": _date(t, definition.rule("posted_at"), definition)},
        "views": lambda t: {"views": _number(t)},
        "likes": lambda t: {"likes": _number(t)},
        "satisfaction": satisfaction,
        "overdue": overdue,
        "attachments": lambda t: {"attachments": tuple(t)},
    }


def _reply(raw: RawReply, definition: Definition) -> Reply:
    spec = definition.detail.reply
    when = raw.get("replied_at")
    replied_at = _date(when, spec.replied_at if spec else None, definition) if when else None
    return Reply(text=raw["text"] or "", organisation=raw.get("organisation"), replied_at=replied_at, official=True,
                 title=raw.get("title"))


def _hint(name: str, error: Exception) -> str:
    where = {"status": "status", "kind": "kind", "topic": "topic"}.get(name)
    extra = f" (add it under [options.vocabulary.{where}])" if where and isinstance(error, UnknownLabel) else ""
    return f"{name}: {error}{extra}"


def canonical(row: Mapping[str, Any], extraction: Extraction, definition: Definition) -> Letter:
    """The detail page's values over the list row's, converted; failures kept per definition field."""
    raw = {name: value for name, value in row.items() if name in MESSAGE_FIELDS}
    raw.update(extraction.values)
    errors = dict(extraction.errors)
    values: dict[str, Any] = {}
    converters = _converters(definition)
    for name, value in raw.items():
        if name in errors:
            continue
        try:
            values.update(converters[name](value) if name in converters else {name: value})
        except (UnknownLabel, ValueError) as error:
            errors[name] = _hint(name, error)
    try:
        replies = tuple(_reply(reply, definition) for reply in extraction.replies)
    except ValueError as error:
        errors["reply.replied_at"] = f"reply.replied_at: {error}"
        replies = ()
    values["replies"] = replies
    values["updated_at"] = replies[-1].replied_at if replies else None
    for name in REQUIRED_FIELDS:
        if name not in raw and name not in errors:
            errors[name] = f"{name}: no value (a message needs it)"
    return Letter(values=values, errors=errors)
