"""Personal data on console pages and exports: masked unless the role holds `full`; each unmasked view audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request

from harvester.app.console.security import Who
from harvester.privacy import mask_record, mask_text
from harvester.store.console_audit import record_action
from harvester.store.repository import Repository


def shown(record: Mapping[str, Any], who: Who) -> dict[str, Any]:
    """A message record as `who` may see it."""
    return dict(record) if who.full else mask_record(record)


def shown_text(text: str | None, who: Who) -> str:
    return (text or "") if who.full else mask_text(text or "")


def audit_view(repo: Repository, who: Who, request: Request, action: str = "unmasked_view") -> None:
    """Record that `who` saw personal data unmasked on this request (nothing for masked views)."""
    if who.full:
        query = f"?{request.url.query}" if request.url.query else ""
        record_action(repo, who.name, action, f"{request.method} {request.url.path}{query}")
