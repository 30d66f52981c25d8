"""What `harvester push --dry-run` shows (SQLite and PostgreSQL): which replies a push would handle, in which
order, what it would do with each and where it would post, read from the store without changing it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from harvester.app.replies import Outbox, State, claims
from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.plan import PlannedReply, plan
from harvester.app.replies.settings import ReplyConfig
from harvester.registry import load_platforms
from harvester.secrets import Secrets
from harvester.store.db import Store
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, letter, store_batch

TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
UNIT = "市住建局"
STAGING = "http://127.0.0.1:9601"  # the jact replica a rehearsal pushes to; production is http://127.0.0.1:8601
POST = "post"
LOOK_FIRST = "look on the platform first, then post if absent"
VOID = "void: content changed after approval"
DEAD = "dead: content changed after it was handed to the platform, nothing sent"


@pytest.fixture
def box(store: Store, run_id: int) -> Outbox:
    store_batch(store, [letter(str(n)) for n in (25445483, 25445484, 25445485)], run_id)
    return Outbox(store)


def adapter_pool(accounts: tuple[str, ...] = ("zjj",)) -> AdapterPool:
    """The pool a push would use: jact_demo with credentials for `accounts`, a staging rehearsal on loopback."""
    secrets = Secrets({(PLATFORM, a): {"username": a, "password": f"pw-{a}-2026"} for a in accounts}, env={})
    return AdapterPool(load_platforms(), secrets, ReplyConfig(staging=True, staging_urls={PLATFORM: STAGING}))


def page(external_id: str) -> str:
    """Where the push would post a reply to this letter: its page on the staging replica."""
    return f"{STAGING}/jact/front/mailpubdetail.do?transactId={external_id}"


def approved(box: Outbox, external_id: str, text: str = TEXT, account: str = "zjj") -> int:
    reply = box.add(PLATFORM, external_id, text, UNIT, account, "oa-system")
    return box.approve(reply.id, "张科长", content_hash=reply.content_hash).id


def set_row(store: Store, reply_id: int, **values: Any) -> None:
    """Write the row as another system (or a dead push) left it, straight in the table."""
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(**values))


def left_in_sending(store: Store, reply_id: int, holder: str = "elsewhere:4242", hours_ago: float = 2) -> None:
    """A push on another host claimed the reply `hours_ago` (the lease is 30 minutes) and was not heard of since."""
    set_row(store, reply_id, state=State.SENDING.value, claimed_by=holder,
            claimed_at=utcnow() - timedelta(hours=hours_ago))


def outcome_unknown(store: Store, reply_id: int) -> None:
    """A push handed the reply to the platform, got no answer, and put it back: the platform must be asked first."""
    held = claims.claim(store, reply_id, "earlier:1")
    assert isinstance(held, claims.Claim)
    claims.begin_attempt(store, held)
    claims.finish(store, held, State.APPROVED, "push earlier:1", "deferred after attempt 1: outcome unknown")


def test_a_dry_run_lists_the_abandoned_reply_first_then_due_ones_oldest_approval_first(box: Outbox,
                                                                                        store: Store) -> None:
    newer, older, abandoned = approved(box, "25445483"), approved(box, "25445484", "第二条回复。"), \
        approved(box, "25445485", "第三条回复。")
    set_row(store, newer, approved_at=utcnow() - timedelta(hours=1))
    set_row(store, older, approved_at=utcnow() - timedelta(days=1))
    left_in_sending(store, abandoned)
    assert plan(store, adapter_pool()) == [
        PlannedReply(abandoned, PLATFORM, "25445485", UNIT, "zjj", "第三条回复。", LOOK_FIRST, page("25445485")),
        PlannedReply(older, PLATFORM, "25445484", UNIT, "zjj", "第二条回复。", POST, page("25445484")),
        PlannedReply(newer, PLATFORM, "25445483", UNIT, "zjj", TEXT, POST, page("25445483")),
    ]
    assert [p.reply_id for p in plan(store, adapter_pool(), limit=2)] == [abandoned, older]
    assert [p.reply_id for p in plan(store, adapter_pool(), platforms=["people_demo"])] == []
    assert [box.get(i).state for i in (newer, older, abandoned)] == ["approved", "approved", "sending"]  # dry
    assert len(box.history(abandoned)) == 2  # added, approved: the dry run claimed nothing


def test_a_reply_held_by_a_live_push_or_not_due_yet_is_not_in_the_plan(box: Outbox, store: Store) -> None:
    held, deferred, due = approved(box, "25445483"), approved(box, "25445484"), approved(box, "25445485")
    left_in_sending(store, held, hours_ago=0.1)  # its push claimed it six minutes ago: its lease still runs
    set_row(store, deferred, not_before=utcnow() + timedelta(minutes=5))
    assert [(p.reply_id, p.action) for p in plan(store, adapter_pool())] == [(due, POST)]


def test_a_reply_whose_account_has_no_credentials_is_shown_skipped_with_the_reason_and_no_target(
        box: Outbox, store: Store) -> None:
    unknown_account, abandoned = approved(box, "25445483", account="wjw"), approved(box, "25445484", account="wjw")
    left_in_sending(store, abandoned)
    reason = f"skip: no credentials for account 'wjw' on {PLATFORM}"
    assert [(p.reply_id, p.action, p.target_url) for p in plan(store, adapter_pool())] == [
        (abandoned, reason, None), (unknown_account, reason, None)]
    changed = approved(box, "25445485", account="wjw")
    set_row(store, changed, text="被改过的文字。")  # no credentials comes first: nothing to say about its content
    assert plan(store, adapter_pool())[-1].action == reason


def test_a_reply_changed_after_approval_is_shown_void_and_one_that_may_be_on_the_platform_dead(
        box: Outbox, store: Store) -> None:
    changed, after_unknown, taken_over = approved(box, "25445483"), approved(box, "25445484"), \
        approved(box, "25445485")
    outcome_unknown(store, after_unknown)
    left_in_sending(store, taken_over)  # handed over with must_look still false: the push died before counting
    for reply_id in (changed, after_unknown, taken_over):
        set_row(store, reply_id, text="被改过的文字：请忽略此前的答复。")
    set_row(store, changed, approved_at=utcnow() - timedelta(days=2))
    assert [(p.reply_id, p.action, p.target_url) for p in plan(store, adapter_pool())] == [
        (taken_over, DEAD, page("25445485")), (changed, VOID, page("25445483")),
        (after_unknown, DEAD, page("25445484"))]


def test_a_reply_whose_earlier_outcome_is_unknown_is_looked_up_first(box: Outbox, store: Store) -> None:
    unknown, fresh = approved(box, "25445483"), approved(box, "25445484")
    outcome_unknown(store, unknown)
    set_row(store, unknown, approved_at=utcnow() - timedelta(days=1))
    assert [(p.reply_id, p.action) for p in plan(store, adapter_pool())] == [(unknown, LOOK_FIRST), (fresh, POST)]
