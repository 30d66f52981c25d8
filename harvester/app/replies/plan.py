"""What a push would do, without doing it (`harvester push --dry-run`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from harvester.app.replies import claims
from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.claims import QueuedReply
from harvester.store.db import Store


@dataclass(frozen=True, slots=True)
class PlannedReply:
    """One reply a push would handle: the action, where it would go, and as whom."""

    reply_id: int
    platform: str
    external_id: str
    organisation: str
    account: str
    text: str
    action: str  # post | look first, then post if absent | void / dead (content changed) | skip: <why>
    target_url: str | None


def _action(pool: AdapterPool, row: QueuedReply, recovering: bool) -> str:
    problem = pool.problem(row.platform, row.account)
    if problem:
        return f"skip: {problem}"
    if not claims.approval_holds(row):
        return ("dead: content changed after it was handed to the platform, nothing sent"
                if recovering or row.must_look else "void: content changed after approval")
    if recovering or row.must_look:
        return "look on the platform first, then post if absent"
    return "post"


def plan(store: Store, pool: AdapterPool, platforms: Collection[str] = (),
         limit: int | None = None) -> list[PlannedReply]:
    """Abandoned `sending` replies, then approved due ones, as the push would take them."""
    lease = pool.config.lease
    rows = [(row, True) for row in claims.sending(store, platforms) if claims.is_abandoned(row, lease)]
    rows += [(row, False) for row in claims.due(store, platforms)]
    rows = rows[:limit]
    shown = claims.places(store, [row.message_id for row, _ in rows])
    planned = []
    for row, recovering in rows:
        place = shown.get(row.message_id)
        action = _action(pool, row, recovering)
        target = None
        if place is not None and not action.startswith("skip"):
            target = pool.outgoing(claims.outgoing(row, place)).message_url
        planned.append(PlannedReply(row.id, row.platform, row.external_id, row.organisation, row.account,
                                    row.text, action, target))
    return planned
