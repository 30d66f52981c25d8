"""GET /messages (filters, cursor pagination) and GET /messages/{platform}/{external_id} (replies, history)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from harvester.app.api.auth import Caller, Reader, store_of
from harvester.app.api.models import MessageDetail, MessagePage
from harvester.app.api.params import Cursor, LinkGroup, invalid
from harvester.app.api.render import message_out, plain
from harvester.store.reads import MessageFilter, find_messages, message_history
from harvester.store.repository import Repository
from harvester.store.tokens import record_full_read
from harvester.timeutil import require_aware
from harvester.vocab import Kind, Status, Topic

router = APIRouter(tags=["messages"])
Many = Annotated[list[str] | None, Query(description="repeat the parameter, or separate values with commas")]


def _many(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for value in values or [] for v in value.split(",") if v.strip())


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return require_aware(value)
    except ValueError as error:
        raise invalid("query", name, "needs a time zone (e.g. 2026-12-01T00:00:00+08:00)") from error


def _vocab(values: tuple[str, ...], allowed: type[Kind] | type[Status] | type[Topic], name: str) -> tuple[str, ...]:
    unknown = sorted(set(values) - {member.value for member in allowed})
    if unknown:
        raise invalid("query", name, f"unknown {unknown}; known: {', '.join(m.value for m in allowed)}")
    return values


def audit_if_full(repo: Repository, who: Caller, request: Request) -> None:
    """Record the read when it hands out personal data unmasked (in the read's own transaction)."""
    if who.full:
        record_full_read(repo, who.token.id, f"{request.method} {request.url.path}?{request.url.query}"[:2000])


@router.get("/messages", response_model=MessagePage,
             summary="Messages, newest first, filtered; follow next_cursor for more")
def list_messages(request: Request, who: Reader, platform: Many = None, board: Many = None, unit: str | None = None,
                  status: Many = None, kind: Many = None, topic: Many = None,
                  posted_after: datetime | None = None, posted_before: datetime | None = None,
                  changed_after: datetime | None = None, changed_before: datetime | None = None,
                  overdue: bool | None = None, link_group: LinkGroup = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  cursor: Cursor = None) -> dict[str, Any]:
    """Filters combine with AND; a list filter matches any of its values. `changed_*` bound the last time the
    message changed in our store (a reply, a status, an edit). Personal data is masked unless the token has
    scope read-full (and every such read is audited)."""
    wanted = MessageFilter(
        platform=_many(platform), board=_many(board), unit=unit, status=_vocab(_many(status), Status, "status"),
        kind=_vocab(_many(kind), Kind, "kind"), topic=_vocab(_many(topic), Topic, "topic"),
        posted_after=_aware(posted_after, "posted_after"), posted_before=_aware(posted_before, "posted_before"),
        changed_after=_aware(changed_after, "changed_after"),
        changed_before=_aware(changed_before, "changed_before"), overdue=overdue, link_group=link_group)
    with store_of(request).transaction() as repo:
        page = find_messages(repo, wanted, limit=limit, cursor=cursor)
        audit_if_full(repo, who, request)
    return {"items": [message_out(record, who.full) for record in page.items], "next_cursor": page.next_cursor}


@router.get("/messages/{platform}/{external_id}", response_model=MessageDetail,
             summary="One message with its replies and its change history")
def get_message(request: Request, who: Reader, platform: str, external_id: str) -> dict[str, Any]:
    with store_of(request).transaction() as repo:
        record = repo.get_message(platform, external_id)
        if record is None:
            raise HTTPException(404, f"no stored message {platform}/{external_id}")
        history = message_history(repo, platform, external_id)
        audit_if_full(repo, who, request)
    return message_out(record, who.full) | {"history": plain(history)}
