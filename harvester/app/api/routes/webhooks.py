"""Webhook subscriptions (scope admin): add one (its signing secret is shown once), list them, resume a dead one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from harvester.app.api.auth import Caller, require, store_of
from harvester.app.api.models import NewWebhookOut, WebhookOut
from harvester.app.api.params import MAX_SEQ, RowId
from harvester.app.api.render import plain
from harvester.store.webhooks import WebhookError, add_webhook, list_webhooks, resume_webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Admin = Annotated[Caller, Depends(require("admin"))]


class NewWebhook(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00]*$")
    url: str = Field(pattern=r"^https?://[^\x00\s]+$", max_length=2000, description="where deliveries are POSTed")
    since: int = Field(default=0, ge=0, le=MAX_SEQ, description="deliver events after this seq (0: all)")


@router.post("", status_code=201, response_model=NewWebhookOut,
             summary="Subscribe a URL to the change feed; the secret is shown only here")
def add(request: Request, body: NewWebhook, _who: Admin) -> dict[str, Any]:
    try:
        with store_of(request).transaction() as repo:
            sub = add_webhook(repo, body.name, body.url, body.since)
    except WebhookError as error:
        raise HTTPException(409, str(error)) from error
    return plain(asdict(sub))


@router.get("", response_model=list[WebhookOut],
             summary="Subscriptions with their acknowledged seq, failures and whether they are dead")
def listing(request: Request, _who: Admin) -> list[dict[str, Any]]:
    with store_of(request).transaction() as repo:
        subs = list_webhooks(repo)
    return [plain({k: v for k, v in asdict(sub).items() if k != "secret"}) for sub in subs]


@router.post("/{webhook_id}/resume", response_model=WebhookOut,
             summary="Deliver to a dead subscription again, from its acknowledged seq")
def resume(request: Request, webhook_id: RowId, _who: Admin) -> dict[str, Any]:
    try:
        with store_of(request).transaction() as repo:
            sub = resume_webhook(repo, webhook_id)
    except WebhookError as error:
        raise HTTPException(404, str(error)) from error
    return plain({k: v for k, v in asdict(sub).items() if k != "secret"})
