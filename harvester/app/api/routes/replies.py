"""Reply intake: draft (idempotent), approve (bound to the text's hash and the approver), cancel, status.

Every rule of the outbox is the outbox's own (harvester.app.replies.api.Outbox): this module only maps HTTP onto it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from harvester.app.api.auth import Approver, Caller, Drafter, ReplyReader, require, store_of
from harvester.app.api.models import ReplyOut, ReplyStatus
from harvester.app.api.params import RowId, invalid
from harvester.app.api.render import plain
from harvester.app.api.settings import ApiSettings
from harvester.app.replies.api import Outbox
from harvester.store.errors import IntegrityError
from harvester.store.outbox.records import ApprovalMismatch, KeyConflict, UnknownMessage, UnknownReply
from harvester.store.outbox.states import IllegalTransition
from harvester.store.outbox.views import ReplyView

router = APIRouter(tags=["replies"])
Canceller = Annotated[Caller, Depends(require("replies:draft", "replies:approve"))]


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class NewReply(BaseModel):
    """A reply to a stored message, as the replying unit will post it."""

    platform: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    external_id: str = Field(min_length=1, max_length=128, pattern=NO_NUL)
    organisation: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="the replying unit (答复单位)")
    account: str = Field(min_length=1, max_length=64, pattern=NO_NUL, description="the unit's account on the platform")
    text: str = Field(min_length=1, max_length=20000, pattern=NO_NUL)


class Approval(BaseModel):
    content_hash: str = Field(min_length=64, max_length=64, description="the content_hash of the version read")


class Cancellation(BaseModel):
    reason: str = Field(default="", max_length=2000, pattern=NO_NUL)


def _outbox(request: Request) -> Outbox:
    return Outbox(store_of(request))


def _view(view: ReplyView, box: Outbox | None = None) -> dict[str, Any]:
    data: dict[str, Any] = plain(view.as_dict())
    if box is not None:
        data["history"] = [plain(asdict(entry)) for entry in box.history(view.id)]
    return data


def _fail(error: Exception) -> Exception:
    if isinstance(error, UnknownReply | UnknownMessage):
        return HTTPException(404, str(error))
    if isinstance(error, ApprovalMismatch | KeyConflict | IllegalTransition):
        return HTTPException(409, str(error))
    return invalid("body", "reply", str(error))  # the outbox refused the content (empty text, bad account …)


@router.post("/replies", status_code=201, response_model=ReplyOut,
             summary="Draft a reply; the Idempotency-Key makes retries safe")
def draft(request: Request, body: NewReply, who: Drafter,
          key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=100)]) -> dict[str, Any]:
    """The same key with the same content returns the reply drafted first (never a second one); the same key
    with other content is 409. Keys are per token."""
    box = _outbox(request)
    scoped_key = f"api:{who.token.id}:{key}"
    for attempt in (1, 2):
        try:
            return _view(box.add(body.platform, body.external_id, body.text, body.organisation, body.account,
                                 actor=who.actor, idempotency_key=scoped_key))
        except IntegrityError:  # a concurrent retry inserted the same key first: the next try returns its reply
            if attempt == 2:
                raise
        except (LookupError, ValueError) as error:
            raise _fail(error) from error
    raise AssertionError("unreachable")


@router.get("/replies/{reply_id}", response_model=ReplyStatus,
             summary="A reply's state and its audit trail")
def status(request: Request, reply_id: RowId, _who: ReplyReader) -> dict[str, Any]:
    box = _outbox(request)
    try:
        return _view(box.get(reply_id), box)
    except LookupError as error:
        raise _fail(error) from error


@router.post("/replies/{reply_id}/approve", response_model=ReplyStatus,
             summary="Approve the version whose content_hash you read")
def approve(request: Request, reply_id: RowId, body: Approval, who: Approver) -> dict[str, Any]:
    """The approval covers exactly the content that hashes to `content_hash` (409 if the reply changed since).
    The approver is the token; it may not approve a reply it drafted unless the server allows self-approval."""
    settings: ApiSettings = request.app.state.settings
    box = _outbox(request)
    try:
        if box.get(reply_id).created_by == who.actor and not settings.allow_self_approval:
            raise HTTPException(403, "a reply cannot be approved by the token that drafted it")
        return _view(box.approve(reply_id, approver=who.actor, content_hash=body.content_hash), box)
    except (LookupError, ValueError) as error:
        raise _fail(error) from error


@router.post("/replies/{reply_id}/cancel", response_model=ReplyStatus,
             summary="Withdraw a draft or approved reply")
def cancel(request: Request, reply_id: RowId, body: Cancellation, who: Canceller) -> dict[str, Any]:
    box = _outbox(request)
    try:
        return _view(box.cancel(reply_id, actor=who.actor, reason=body.reason), box)
    except (LookupError, ValueError) as error:
        raise _fail(error) from error
