"""Validate a generic platform's `[options]` into a Definition; every mistake names file, line and field."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from harvester.challenge import CHALLENGE_OPTIONS
from harvester.definition.consistency import check_consistency
from harvester.definition.errors import read_text
from harvester.definition.model import (
    DEFAULT_OVERDUE,
    DEFAULT_SATISFACTION,
    FORMATS,
    MESSAGE_FIELDS,
    METHODS,
    PAGINGS,
    RECHECK_VIA,
    REPLY_FIELDS,
    ROW_FIELDS,
    Definition,
    DetailSpec,
    Labels,
    ListSpec,
    Paging,
    ReplySpec,
    Vocabulary,
)
from harvester.definition.rules import Rule
from harvester.definition.sections import Section, Where
from harvester.vocab import Kind, Status, Topic

E = TypeVar("E", bound=StrEnum)


def _paging(section: Section) -> Paging:
    size = section.get("size", int, None)
    if size is not None and size < 1:
        raise section.error("size", f"must be at least 1, got {size}")
    paging = Paging(kind=section.choice("kind", PAGINGS, "page"), size=size, first=section.get("first", int, 1),
                    first_url=section.get("first_url", str, None),
                    max_pages=section.get("max_pages", int, 5000), next=section.rule("next"),
                    total=section.rule("total"), pages=section.rule("pages"),
                    lookback_days=section.get("lookback_days", int, 0))
    if paging.lookback_days < 0:
        raise section.error("lookback_days", f"must be 0 (off) or a number of days, got {paging.lookback_days}")
    section.done()
    return paging


def _list(section: Section) -> ListSpec:
    paging = section.table("paging", required=True)
    fields = section.table("fields", required=True)
    assert paging is not None and fields is not None
    method = section.get("method", str, "GET").upper()
    if method not in METHODS:
        raise section.error("method", f"must be one of {list(METHODS)}, got {method!r}")
    form, carried = _form(section.table("form"))
    spec = ListSpec(url=section.get("url", str), paging=_paging(paging), rows=_required(section, "rows"),
                    fields=fields.rules(ROW_FIELDS), method=method, form=form, carried=carried,
                    format=section.choice("format", FORMATS, "html"), not_public=section.rule("not_public"),
                    cursor=_cursor(section), recheck=section.choice("recheck", RECHECK_VIA, "detail"),
                    may_be_empty=section.get("may_be_empty", bool, False))
    section.done()
    return spec


def _cursor(section: Section) -> tuple[str, ...]:
    """`cursor = "id"` or a list of row field names such as `["letter_no", "id"]`."""
    value = section.get("cursor", object, "id")
    parts = [value] if isinstance(value, str) else value
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) and p for p in parts):
        raise section.error("cursor", f"must be a row field name or a list of them such as [\"letter_no\", \"id\"], "
                                      f"got {value!r}")
    return tuple(parts)


def _form(section: Section | None) -> tuple[dict[str, str], dict[str, Rule]]:
    """Static form values (strings; placeholders allowed) and values read from the previous list page (rule
    tables such as `{ css = "input#__VIEWSTATE", attr = "value" }`)."""
    static: dict[str, str] = {}
    carried: dict[str, Rule] = {}
    for name, value in (section.data if section else {}).items():
        assert section is not None
        if isinstance(value, dict):
            carried[name] = _required(section, name)
        elif isinstance(value, str | int) and not isinstance(value, bool):
            static[name] = str(value)
        else:
            raise section.error(name, f"must be a string (placeholders like {{page}} allowed) or a rule table read "
                                      f"from the previous list page, e.g. {{ css = \"input#__VIEWSTATE\", attr = "
                                      f"\"value\" }}; got {value!r}")
    return static, carried


def _required(section: Section, key: str) -> Any:
    rule = section.rule(key, required=True)
    assert rule is not None
    return rule


def _labels(section: Section | None) -> Labels | None:
    if section is None:
        return None
    labels = Labels(cells=_required(section, "cells"), value=section.rule("value"),
                    separator=section.get("separator", str, None))
    if (labels.value is None) == (labels.separator is None):
        raise section.error(None, "give either 'value' (read from each label's element) or 'separator'")
    section.done()
    return labels


def _reply(section: Section | None) -> ReplySpec | None:
    if section is None:
        return None
    reply = ReplySpec(text=_required(section, "text"), organisation=section.rule("organisation"),
                      replied_at=section.rule("replied_at"), title=section.rule("title"), each=section.rule("each"))
    for key in section.data:
        if key not in (*REPLY_FIELDS, "each"):
            raise section.error(key, f"unknown field; a reply has {list(REPLY_FIELDS)} and 'each'")
    return reply


def _detail(section: Section) -> DetailSpec:
    fields = section.table("fields", required=True)
    assert fields is not None
    statuses = section.get("not_public_statuses", list, [404, 410])
    if not all(isinstance(s, int) and 100 <= s <= 599 for s in statuses):
        raise section.error("not_public_statuses", f"must be a list of HTTP status codes, got {statuses!r}")
    spec = DetailSpec(fields=fields.rules(MESSAGE_FIELDS), url=section.get("url", str, None),
                      not_public=section.rule("not_public"), not_public_statuses=tuple(statuses),
                      labels=_labels(section.table("labels")), reply=_reply(section.table("reply")))
    section.done()
    return spec


def _mapping(section: Section | None, enum: type[E]) -> dict[str, E]:
    if section is None:
        return {}
    found: dict[str, E] = {}
    for raw in section.data:
        value = section.get(raw, str)
        try:
            found[raw] = enum(value)
        except ValueError as error:
            raise section.error(raw, f"{value!r} is not one of {[e.value for e in enum]}") from error
    return found


def _vocabulary(section: Section | None) -> Vocabulary:
    if section is None:
        return Vocabulary()
    satisfaction = section.table("satisfaction")
    scores = dict(DEFAULT_SATISFACTION)
    for raw in satisfaction.data if satisfaction else ():
        assert satisfaction is not None
        scores[raw] = satisfaction.get(raw, int)
    overdue = section.table("overdue")
    verdicts = dict(DEFAULT_OVERDUE)
    for raw in overdue.data if overdue else ():
        assert overdue is not None
        verdicts[raw] = overdue.get(raw, bool)
    vocabulary = Vocabulary(kind=_mapping(section.table("kind"), Kind),
                            status=_mapping(section.table("status"), Status),
                            topic=_mapping(section.table("topic"), Topic), satisfaction=scores, overdue=verdicts)
    section.done()
    return vocabulary


def parse_options(slug: str, options: Mapping[str, Any], source: str, text: str | None = None) -> Definition:
    """The Definition in a generic platform's `[options]`; DefinitionError names file, line and field."""
    where = Where(source, text if text is not None else read_text(source))
    root = Section(options, ["options"], where)
    listing, detail = root.table("list", required=True), root.table("detail", required=True)
    assert listing is not None and detail is not None
    formats = root.get("date_formats", list, [])
    if not all(isinstance(f, str) and "%" in f for f in formats):
        raise root.error("date_formats", f"must be a list of strptime formats like \"%Y-%m-%d %H:%M\", got {formats!r}")
    definition = Definition(slug=slug, source=source, list=_list(listing), detail=_detail(detail),
                            vocabulary=_vocabulary(root.table("vocabulary")), date_formats=tuple(formats))
    for key in CHALLENGE_OPTIONS:  # the challenge middleware's (checked by harvester.app.probe)
        root.get(key, object, None)
    root.done()
    check_consistency(definition, where)
    return definition
