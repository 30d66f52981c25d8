"""Which stored messages are due to be read again: open ones, and handled ones the citizen has not rated yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from harvester.registry import PlatformSpec
from harvester.store.db import Store
from harvester.store.repository import RecheckTarget
from spiders.base import revisit_due

REPLIED = "replied"  # 已办理: settled once graded (grades come once, a few hours to days after the reply)
LOOKAHEAD = 4  # settled (graded) or not-yet-due messages fill the oldest end of the queue: look further


def due_targets(store: Store, platform: str, spec: PlatformSpec, seen_before: datetime, limit: int,
                now: datetime) -> list[RecheckTarget]:
    """Like HarvestSpider.recheck_targets (least recently seen first, adaptive revisits), without 已办理
    messages that already carry grades: nothing about them changes any more."""
    changed_after = now - timedelta(days=spec.recheck_window_days)
    with store.transaction() as repo:
        candidates = repo.due_for_recheck(platform, spec.recheck_statuses, seen_before, limit * LOOKAHEAD,
                                          changed_after=changed_after)
        states = repo.known_states(platform, [t.external_id for t in candidates])
        graded = {t.external_id for t in candidates if states[t.external_id].status == REPLIED
                  and (repo.get_message(platform, t.external_id) or {}).get("satisfaction")}
    due = [t for t in candidates if t.external_id not in graded
           and revisit_due(t.last_seen_at, t.last_changed_at, now, spec.recheck_backoff)]
    return due[:limit]
