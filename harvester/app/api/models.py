"""The API's response shapes, so /openapi.json tells clients (and schemathesis) what each answer holds.

Times are ISO 8601 strings: Beijing time in messages and replies, UTC in feed events (as `harvester changes`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Event(BaseModel):
    """One change-feed event, exactly as `harvester changes` prints it."""

    seq: int
    kind: str
    platform: str
    external_id: str
    run_id: int | None
    occurred_at: str
    payload: dict[str, Any]


class ChangesPage(BaseModel):
    events: list[Event]
    next_since: int


class PageReply(BaseModel):
    """A reply shown under a message on the platform."""

    identity: str
    position: int
    external_id: str | None
    organisation: str | None
    text: str
    replied_at: str | None
    author: str | None
    official: bool
    title: str | None


class MessageOut(BaseModel):
    """A stored message; personal data masked unless the token has scope read-full."""

    platform: str
    external_id: str
    url: str
    board_id: str
    addressee: str
    title: str
    body: str
    author: str | None
    letter_no: str | None
    kind: str
    kind_raw: str | None
    topic: str
    topic_raw: str | None
    status: str
    status_raw: str
    posted_at: str
    updated_at: str | None
    region: str | None
    satisfaction: dict[str, Any]
    views: int | None
    likes: int | None
    overdue: bool | None
    handling_unit: str | None
    attachments: list[str]
    content_hash: str
    first_seen_at: str
    last_seen_at: str
    last_changed_at: str
    first_run_id: int | None
    last_run_id: int | None
    link_group: int | None
    replies: list[PageReply]


class MessageDetail(MessageOut):
    history: list[Event]


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: int | None


class ServiceOut(BaseModel):
    """GeoReport v2 service."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequestOut(BaseModel):
    """GeoReport v2 service request (Message.open311())."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_code: str
    service_name: str
    description: str
    agency_responsible: str | None
    requested_datetime: str
    updated_datetime: str | None
    address: str | None
    media_url: str | None


class AuditOut(BaseModel):
    at: str
    actor: str
    from_state: str | None
    to_state: str
    detail: str | None


class ReplyOut(BaseModel):
    """A reply in the outbox; `content_hash` is what an approval of it as it is now must name."""

    id: int
    idempotency_key: str
    platform: str
    external_id: str
    organisation: str
    account: str
    text: str
    state: str
    reason: str | None
    created_by: str
    created_at: str
    updated_at: str
    approved_by: str | None
    approved_at: str | None
    approved_hash: str | None
    content_hash: str
    approval_valid: bool
    attempts: int
    not_before: str | None
    platform_reply_id: str | None
    platform_message: str | None
    posted_at: str | None
    verified_at: str | None


class ReplyStatus(ReplyOut):
    history: list[AuditOut]


class WebhookOut(BaseModel):
    id: int
    name: str
    url: str
    acked_seq: int
    failures: int
    next_attempt_at: str | None
    last_error: str | None
    last_delivery_at: str | None
    dead_since: str | None


class NewWebhookOut(WebhookOut):
    secret: str
