"""Which stored messages are due to be read again: open ones, and handled ones the citizen has not rated yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from harvester.registry import PlatformSpec
from harvester.store.db import Store
from harvester.store.repository import RecheckTarget

REPLIED = "replied"  # 已办理: settled once graded (grades come once, a few hours to days after the reply)
LOOKAHEAD = 4  # settled (graded) or not-yet-due messages fill the oldest end of the queue: look further


def due_targets(store: Store, platform: str, spec: PlatformSpec, seen_before: datetime, limit: int,
                now: datetime) -> list[RecheckTarget]:
    """Like HarvestSpider.recheck_targets (replies awaiting confirmation first, then least recently seen,
    adaptive revisits), without 已办理 messages that already carry grades: nothing about them changes any more
    — unless a reply of ours waits to be confirmed on them."""
    changed_after = now - timedelta(days=spec.recheck_window_days)
    with store.transaction() as repo:
        candidates = repo.due_for_recheck(platform, spec.recheck_statuses, seen_before, limit * LOOKAHEAD,
                                          changed_after=changed_after, backoff=spec.recheck_backoff, now=now)
        states = repo.known_states(platform, [t.external_id for t in candidates])
        graded = {t.external_id for t in candidates if not t.awaiting_reply
                  and states[t.external_id].status == REPLIED
                  and (repo.get_message(platform, t.external_id) or {}).get("satisfaction")}
    awaiting = [t for t in candidates if t.awaiting_reply]
    due = [t for t in candidates if not t.awaiting_reply and t.external_id not in graded]
    return awaiting + due[:max(0, limit - len(awaiting))]
