"""Detail pages of a definition -> raw field values, raw replies and per-field failures. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from harvester.definition.model import Definition, ReplySpec
from harvester.extract.errors import NotPublic
from harvester.extract.snapshot import Snapshot
from spiders.generic.labeltable import label_table
from spiders.generic.values import Missing, Scope, matched, read, read_all, select

RawReply = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Extraction:
    """What a detail page showed: raw values by field, raw replies, and why fields failed."""

    values: dict[str, Any] = field(default_factory=dict)
    replies: tuple[RawReply, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)


def page_scope(snapshot: Snapshot, definition: Definition) -> Scope:
    """The detail page as rules read it: document, text, URL and label table."""
    text = snapshot.text
    page = Selector(text=text)
    labels = definition.detail.labels
    table = label_table(labels, page, snapshot.url) if labels is not None else None
    return Scope(url=snapshot.url, text=text, node=page, labels=table)


def _field(name: str, rule: Any, scope: Scope, values: dict[str, Any], errors: dict[str, str]) -> None:
    try:
        if rule.every:
            values[name] = [urljoin(scope.url, v) for v in read_all(rule, scope)]
            return
        value = read(rule, scope, block=name in ("body", "reply.text"))
    except Missing as missing:
        errors[name] = f"detail: {name}: {missing.reason}"
        return
    if value is not None:
        values[name] = value


def _one_reply(spec: ReplySpec, scope: Scope, errors: dict[str, str]) -> RawReply | None:
    found: dict[str, Any] = {}
    _field("reply.text", spec.text, scope, found, errors)
    if "reply.text" not in found:
        return None
    for name, rule in (("reply.organisation", spec.organisation), ("reply.replied_at", spec.replied_at),
                       ("reply.title", spec.title)):
        if rule is not None:
            _field(name, rule, scope, found, errors)
    return {"text": found["reply.text"], "organisation": found.get("reply.organisation"),
            "replied_at": found.get("reply.replied_at"), "title": found.get("reply.title")}


def _replies(spec: ReplySpec | None, scope: Scope, errors: dict[str, str]) -> tuple[RawReply, ...]:
    if spec is None:
        return ()
    if spec.each is None:
        reply = _one_reply(spec, scope, errors)
        return (reply,) if reply else ()
    blocks = [b for b in select(spec.each.source, spec.each.query, scope) if isinstance(b, Selector)]
    found = (_one_reply(spec, Scope(url=scope.url, text=b.get(), node=b, labels=scope.labels), errors)
             for b in blocks)
    return tuple(reply for reply in found if reply)


def read_detail(snapshot: Snapshot, definition: Definition) -> Extraction:
    """Every declared detail field and the replies. NotPublic when the page answers with one of the
    not-public statuses (a redirect back to the list, 404) or its not-public marker matches."""
    if snapshot.status in definition.detail.not_public_statuses:
        raise NotPublic(f"detail: answered HTTP {snapshot.status}")
    scope = page_scope(snapshot, definition)
    marker = definition.detail.not_public
    if marker is not None and matched(marker, scope):
        raise NotPublic(f"detail: {marker.describe()} matched")
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, rule in definition.detail.fields.items():
        _field(name, rule, scope, values, errors)
    return Extraction(values=values, replies=_replies(definition.detail.reply, scope, errors), errors=errors)
