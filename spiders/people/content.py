"""The content API's answer (/v1/threads/content) -> one Message with its official replies. Pure.

This is the only source of a message's text: list APIs cut it to ~100 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.schema import Message, Reply
from harvester.timeutil import from_unix
from harvester.vocab import UnknownLabel, kind_of, status_of, topic_of
from spiders.people.api import require, result_data
from spiders.people.options import PeopleOptions

MESSAGE, OFFICIAL_REPLY = 1, 4  # contentList dataType; the order of entries is not guaranteed
POSTED_KEYS = ("dateline", "createDateline")  # crawlers read either for the posting time (unix seconds)


@dataclass(frozen=True, slots=True)
class ContentContext:
    """What the spider knows when it reads a message: platform, site, the boards it declares, options."""

    platform: str
    base_url: str
    addressees: Mapping[str, str]  # fid -> 留言对象 as the definition names it
    options: PeopleOptions


def detail_url(base_url: str, tid: str) -> str:
    """The message's public page (the SPA shell that renders it)."""
    return f"{base_url}/threads/content?tid={tid}"


def entry_type(entry: dict[str, Any]) -> int | None:
    """An entry's dataType; where the answer leaves it out, told by its fields: a reply names its `organization`,
    the message its `subject` or author. None: neither (the caller fails loudly on a required one)."""
    if "dataType" in entry:
        return entry["dataType"] if isinstance(entry["dataType"], int) else None
    if "organization" in entry or "answerId" in entry:
        return OFFICIAL_REPLY
    if "subject" in entry or "nickName" in entry:
        return MESSAGE
    return None


def _entries(result: dict[str, Any], data_type: int) -> list[dict[str, Any]]:
    entries = result.get("contentList")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LayoutChanged("content: resultData.contentList is not a list of objects")
    return [entry for entry in entries if entry_type(entry) == data_type]


def posted(entry: dict[str, Any], what: str) -> datetime:
    """An entry's time: `dateline`, else `createDateline` (unix seconds); LayoutChanged names both if neither."""
    for key in POSTED_KEYS:
        if entry.get(key) not in (None, ""):
            try:
                return from_unix(entry[key])
            except (TypeError, ValueError, OverflowError) as error:
                raise LayoutChanged(f"{what}: {key} {entry[key]!r} is not unix seconds") from error
    raise LayoutChanged(f"{what}: neither of the fields {list(POSTED_KEYS)} is there")


def _reply(entry: dict[str, Any]) -> Reply:
    answer_id = entry.get("answerId")
    return Reply(text=str(require(entry, "content", "reply")), organisation=entry.get("organization") or None,
                 replied_at=posted(entry, "reply"),
                 external_id=str(answer_id) if answer_id is not None else None, official=True)


def _satisfaction(entry: dict[str, Any]) -> dict[str, int]:
    """Citizen grades (1-5) for attitude and speed; absent until the citizen rates the reply."""
    grades = {"manner": entry.get("gradeManner"), "speed": entry.get("gradeSpeed")}
    return {name: int(value) for name, value in grades.items() if value is not None}


def _labels(entry: dict[str, Any], options: PeopleOptions) -> dict[str, Any]:
    state, type_name, domain = (str(require(entry, "stateInfo", "message")), entry.get("typeName") or None,
                                entry.get("domainName") or None)
    try:
        return {"status": status_of(state, dict(options.status_labels)), "status_raw": state,
                "kind": kind_of(type_name, dict(options.kind_labels)), "kind_raw": type_name,
                "topic": topic_of(domain, dict(options.topic_labels)), "topic_raw": domain}
    except UnknownLabel as error:
        raise LayoutChanged(f"content: {error}") from error


def parse_content(snapshot: Snapshot, context: ContentContext) -> Message:
    """The message (dataType 1) and its official replies (dataType 4, oldest first) of a code-0 answer."""
    result = result_data(snapshot, "content")
    found = _entries(result, MESSAGE)
    if len(found) != 1:
        raise LayoutChanged(f"content: {len(found)} message entries (dataType {MESSAGE}, or a subject where "
                            f"dataType is left out), expected 1")
    entry = found[0]
    tid, fid = str(require(entry, "tid", "message")), str(require(entry, "fid", "message"))
    replies = sorted((_reply(e) for e in _entries(result, OFFICIAL_REPLY)),
                     key=lambda r: (r.replied_at, int(r.external_id or 0)))
    region = str(entry.get("from") or "").strip() or None  # IP-derived area, sent with a leading space
    likes = entry.get("favNum")
    return Message(
        platform=context.platform, external_id=tid, url=detail_url(context.base_url, tid), board_id=fid,
        addressee=context.addressees.get(fid) or str(require(entry, "forumName", "message")),
        title=str(require(entry, "subject", "message")), body=str(require(entry, "content", "message")),
        posted_at=posted(entry, "message"), fetched_at=snapshot.fetched_at,
        author=entry.get("nickName") or None, updated_at=replies[-1].replied_at if replies else None,
        region=region, satisfaction=_satisfaction(entry), likes=int(likes) if likes is not None else None,
        replies=tuple(replies), source=snapshot, **_labels(entry, context.options))
