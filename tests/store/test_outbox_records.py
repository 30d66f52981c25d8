"""The outbox rows themselves (harvester.store.outbox.records and confirm), on SQLite and PostgreSQL: what an edit,
a voided approval and a cancellation leave in the row and in its audit trail, which replies a listing returns,
and which posted replies count as unseen by later harvests. (tests/store/test_outbox.py drives the same rows
through the app's Outbox.)"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from harvester.schema import Reply
from harvester.store.db import Store
from harvester.store.models import MessageRow, RunRow
from harvester.store.outbox import records
from harvester.store.outbox.approval import approval_hash
from harvester.store.outbox.confirm import confirm_posted_replies, unverified
from harvester.store.outbox.models import OutboxRow
from harvester.store.outbox.states import IllegalTransition
from harvester.store.outbox.views import ReplyView, reply_view
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, SEEN, letter, store_batch

TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
UNIT = "市住建局"
OTHER = "people_demo"


@pytest.fixture
def stored(store: Store, run_id: int) -> Store:
    store_batch(store, [letter("25445483"), letter("25445484"), letter("7001", platform=OTHER)], run_id)
    return store


def add(store: Store, external_id: str = "25445483", text: str = TEXT, platform: str = PLATFORM) -> int:
    with store.transaction() as repo:
        return records.add_reply(repo.session, platform, external_id, text, UNIT, "zjj", "oa-system").id


def view(store: Store, reply_id: int) -> ReplyView:
    with store.transaction() as repo:
        return reply_view(records.load(repo.session, reply_id, lock=False))


def trail(store: Store, reply_id: int) -> list[tuple[str, str | None, str, str | None]]:
    with store.transaction() as repo:
        return [(e.actor, e.from_state, e.to_state, e.detail) for e in records.history(repo.session, reply_id)]


def approve(store: Store, reply_id: int) -> None:
    with store.transaction() as repo:
        records.approve(repo.session, reply_id, "张科长")


def edit(store: Store, reply_id: int, text: str, actor: str = "oa-system") -> None:
    with store.transaction() as repo:
        records.edit_text(repo.session, reply_id, text, actor)


def cancel(store: Store, reply_id: int, *reason: str) -> None:
    with store.transaction() as repo:
        records.cancel(repo.session, reply_id, "张科长", *reason)


def force(store: Store, reply_id: int, **values: Any) -> None:
    """Write the row behind the API's back, as a push (or a downstream system) leaves it."""
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(**values))


def test_editing_a_draft_is_an_edit_and_editing_an_approved_reply_voids_its_approval_with_the_reason(
        stored: Store) -> None:
    reply_id = add(stored)
    edit(stored, reply_id, "第一次修改。")
    first = view(stored, reply_id)
    assert (first.state, first.text, first.reason) == ("draft", "第一次修改。", None)
    assert trail(stored, reply_id)[-1] == ("oa-system", "draft", "draft", "text edited")
    approve(stored, reply_id)
    edit(stored, reply_id, "第二次修改。", "王编辑")
    second = view(stored, reply_id)
    assert (second.state, second.approved_by, second.approved_at, second.approved_hash) == ("draft", None, None, None)
    assert second.reason == "approval voided: text edited"
    assert trail(stored, reply_id)[-1] == ("王编辑", "approved", "draft", "approval voided: text edited")
    edit(stored, reply_id, "  第二次修改。\r\n")  # the same text once cleaned: nothing to record
    assert len(trail(stored, reply_id)) == 4


def test_a_refused_reply_edited_goes_back_to_draft_without_the_refusal(stored: Store) -> None:
    reply_id = add(stored)
    force(stored, reply_id, state="rejected", reason="回复内容含有敏感词")
    edit(stored, reply_id, "改写后的回复。")
    edited = view(stored, reply_id)
    assert (edited.state, edited.text, edited.reason) == ("draft", "改写后的回复。", None)
    assert trail(stored, reply_id)[-1] == ("oa-system", "rejected", "draft", "text edited")


def test_text_that_can_no_longer_change_is_refused_with_the_reason(stored: Store) -> None:
    sending, unknown = add(stored), add(stored, "25445484")
    force(stored, sending, state="sending")
    with pytest.raises(IllegalTransition, match="is sending; its text can no longer change"):
        edit(stored, sending, "新的文字。")
    approve(stored, unknown)
    force(stored, unknown, must_look=True)
    with pytest.raises(IllegalTransition, match=r"outcome is unknown\); push it to its end before changing it"):
        edit(stored, unknown, "新的文字。")
    assert (view(stored, sending).text, view(stored, unknown).text) == (TEXT, TEXT)


def test_a_voided_approval_clears_the_approver_and_says_why_in_the_row_and_the_trail(stored: Store) -> None:
    reply_id = add(stored)
    approve(stored, reply_id)
    with stored.transaction() as repo:
        records.void_changed(repo.session, records.load(repo.session, reply_id), "push host:1")
    voided = view(stored, reply_id)
    why = "approval voided: content changed after approval"
    assert (voided.state, voided.approved_by, voided.approved_at, voided.approved_hash, voided.reason) == (
        "draft", None, None, None, why)
    assert trail(stored, reply_id)[-1] == ("push host:1", "approved", "draft", why)


def test_a_cancellation_keeps_its_reason_or_says_cancelled(stored: Store) -> None:
    plain, explained, sending = add(stored), add(stored, "25445484"), add(stored, text="正在发送的回复。")
    approve(stored, explained)
    cancel(stored, plain)
    cancel(stored, explained, "内容有误")
    assert (view(stored, plain).state, view(stored, plain).reason) == ("cancelled", "cancelled")
    assert trail(stored, plain)[-1] == ("张科长", "draft", "cancelled", "cancelled")
    assert (view(stored, explained).state, view(stored, explained).reason) == ("cancelled", "内容有误")
    assert trail(stored, explained)[-1] == ("张科长", "approved", "cancelled", "内容有误")
    force(stored, sending, state="sending")
    with pytest.raises(IllegalTransition, match="is sending; only draft or approved replies can be cancelled"):
        cancel(stored, sending)
    assert view(stored, sending).state == "sending"


def test_a_listing_filters_by_state_and_platform_newest_first_up_to_the_limit(stored: Store) -> None:
    first, second, third = add(stored), add(stored, "25445484"), add(stored, "7001", platform=OTHER)
    approve(stored, second)
    with stored.transaction() as repo:
        def ids(*states: str, platform: str | None = None, limit: int = 100) -> list[int]:
            return [row.id for row in records.find(repo.session, states, platform, limit)]

        assert ids() == [third, second, first]
        assert ids(limit=2) == [third, second]
        assert ids("draft") == [third, first]
        assert ids("draft", "approved", platform=PLATFORM) == [second, first]
        assert ids(platform=OTHER) == [third]


def run_at(store: Store, platform: str, started_at: datetime, outcome: str = "succeeded") -> None:
    with store.transaction() as repo:
        run = repo.start_run(platform, os.getpid())
        repo.finish_run(run, outcome, {})
    with store.engine.begin() as connection:
        connection.execute(update(RunRow).where(RunRow.id == run).values(started_at=started_at))


def listed(store: Store, after_runs: int) -> list[tuple[int, int]]:
    with store.transaction() as repo:
        return [(u.reply.id, u.runs_since) for u in unverified(repo.session, after_runs)]


def test_unseen_posted_replies_count_only_later_successful_harvests_of_their_platform(stored: Store) -> None:
    posted_at = utcnow() - timedelta(days=2)
    reply_id = add(stored)
    # updated later than posted (a note, a look on the platform): the count still starts at the post
    force(stored, reply_id, state="posted", posted_at=posted_at, updated_at=posted_at + timedelta(days=1))
    assert listed(stored, 1) == []
    run_at(stored, PLATFORM, posted_at - timedelta(hours=1))  # before the post: it could not have seen it
    run_at(stored, OTHER, posted_at + timedelta(hours=1))  # another platform's harvest
    run_at(stored, PLATFORM, posted_at + timedelta(hours=2), outcome="failed")
    assert listed(stored, 1) == []
    run_at(stored, PLATFORM, posted_at + timedelta(hours=3))  # before the update, after the post: it counts
    assert listed(stored, 1) == [(reply_id, 1)]
    assert listed(stored, 2) == []


def test_unseen_posted_replies_without_a_post_time_count_from_their_last_update_in_id_order(stored: Store) -> None:
    since = utcnow() - timedelta(days=1)
    older, newer = add(stored), add(stored, "25445484")
    force(stored, older, state="posted_pending_moderation", posted_at=None, updated_at=since)
    force(stored, newer, state="posted", posted_at=since)
    force(stored, older, platform_message="审核中")  # rewrites the older row after the newer one
    run_at(stored, PLATFORM, since - timedelta(minutes=1))
    assert listed(stored, 1) == []
    run_at(stored, PLATFORM, since + timedelta(minutes=1))
    assert listed(stored, 1) == [(older, 1), (newer, 1)]


def confirm(store: Store, run_id: int, *replies: Reply, external_id: str = "25445483") -> int:
    with store.transaction() as repo:
        return confirm_posted_replies(repo.session, [letter(external_id, replies=replies)], run_id, SEEN)


def verification(store: Store, reply_id: int) -> tuple[str, str | None, datetime | None, int | None]:
    with store.transaction() as repo:
        row = records.load(repo.session, reply_id, lock=False)
        return row.state, row.platform_reply_id, row.verified_at, row.verified_run_id


def test_a_reply_with_the_platforms_id_is_verified_by_that_id_not_by_a_same_text_neighbour(stored: Store,
                                                                                          run_id: int) -> None:
    reply_id = add(stored)
    force(stored, reply_id, state="posted", posted_at=utcnow(), platform_reply_id="p-901")
    twin = Reply(text=TEXT, organisation=UNIT, external_id="p-900")  # the same text posted before, another id
    assert confirm(stored, run_id, twin) == 0
    assert verification(stored, reply_id)[:2] == ("posted", "p-901")
    headed = Reply(text="【答复】" + TEXT, organisation="住建局", external_id="p-901")  # the platform dressed it up
    assert confirm(stored, run_id, twin, headed) == 1
    assert verification(stored, reply_id) == ("verified", "p-901", SEEN, run_id)
    url = letter("25445483").url
    assert trail(stored, reply_id)[-1] == (f"harvest run {run_id}", "posted", "verified",
                                          f"seen on the platform at {url}")


def test_a_reply_posted_without_an_id_is_verified_by_unit_and_text_and_takes_the_id_the_page_shows(
        stored: Store, run_id: int) -> None:
    reply_id = add(stored)
    force(stored, reply_id, state="posted_pending_moderation", posted_at=utcnow())
    # the page joins the paragraphs without a line break and prints the unit with a full-width space
    shown = Reply(text=TEXT.replace("\n", ""), organisation="市住建局\u3000", external_id="p-77")
    assert confirm(stored, run_id, Reply(text=TEXT + "补充。", organisation=UNIT, external_id="p-76")) == 0
    assert confirm(stored, run_id, shown) == 1
    assert verification(stored, reply_id) == ("verified", "p-77", SEEN, run_id)


def test_the_approval_hash_is_the_documented_recipe() -> None:
    # docs/replies.md: SHA-256 hex of the UTF-8 JSON array, no spaces, Chinese kept as it is (systems that
    # approve by writing the table compute it themselves).
    payload = '["jact_demo","25445483","市住建局","zjj","您好：\\n已处理。"]'
    expected = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    assert approval_hash("jact_demo", "25445483", "市住建局", "zjj", "您好：\n已处理。") == expected


def test_mistakes_are_named_with_the_reply_and_the_reason(stored: Store) -> None:
    reply_id = add(stored)
    with stored.transaction() as repo, pytest.raises(records.UnknownReply, match="^no reply 999 in the outbox$"):
        records.load(repo.session, 999)
    with stored.transaction() as repo, pytest.raises(records.UnknownMessage,
                                                     match="^no stored message jact_demo/404$"):
        records.add_reply(repo.session, PLATFORM, "404", TEXT, UNIT, "zjj", "oa")
    with stored.transaction() as repo, pytest.raises(ValueError, match=r"^a reply needs the replying unit \(organisation\)$"):
        records.add_reply(repo.session, PLATFORM, "25445483", TEXT, "  ", "zjj", "oa")
    with stored.transaction() as repo:
        key = records.add_reply(repo.session, PLATFORM, "25445484", TEXT, UNIT, "zjj", "oa", "oa-1").id
    with stored.transaction() as repo, pytest.raises(records.KeyConflict,
                                                     match=f"^idempotency key 'oa-1' is reply {key}, with other"):
        records.add_reply(repo.session, PLATFORM, "25445484", "别的内容。", UNIT, "zjj", "oa", "oa-1")
    stale = view(stored, reply_id).content_hash
    edit(stored, reply_id, "改过的文字。")
    now_hash = view(stored, reply_id).content_hash
    with stored.transaction() as repo, pytest.raises(records.ApprovalMismatch) as mismatch:
        records.approve(repo.session, reply_id, "张科长", content_hash=stale)
    assert str(mismatch.value) == f"reply {reply_id} changed since it was read (hash {now_hash[:12]}…)"
    force(stored, reply_id, state="posted")
    with stored.transaction() as repo, pytest.raises(IllegalTransition,
                                                     match=f"^reply {reply_id} is posted; it cannot become approved$"):
        records.approve(repo.session, reply_id, "张科长")


def test_a_reply_goes_to_the_message_of_its_own_platform(stored: Store, run_id: int) -> None:
    store_batch(stored, [letter("7001")], run_id)  # the same id on two platforms
    reply_id = add(stored, "7001", platform=OTHER)
    with stored.transaction() as repo:
        row = records.load(repo.session, reply_id, lock=False)
        message = repo.session.get(MessageRow, row.message_id)
        assert message is not None and (message.platform, message.external_id) == (OTHER, "7001")
        assert row.attempts == 0


def test_approval_records_its_hash_in_the_trail_and_clears_an_old_reason_and_deferral(stored: Store) -> None:
    reply_id = add(stored)
    approve(stored, reply_id)
    edit(stored, reply_id, "第二稿。")  # voided: the reason says so
    force(stored, reply_id, not_before=utcnow() + timedelta(hours=1))
    approve(stored, reply_id)
    approved = view(stored, reply_id)
    assert (approved.state, approved.reason, approved.not_before) == ("approved", None, None)
    assert trail(stored, reply_id)[-1] == ("张科长", "draft", "approved",
                                          f"approved (hash {approved.content_hash[:12]}…)")


def test_approving_a_reply_changed_in_the_table_voids_the_old_approval_then_approves_the_new_text(
        stored: Store) -> None:
    reply_id = add(stored)
    approve(stored, reply_id)
    force(stored, reply_id, text="表里改过的文字。")  # a downstream system rewrote the text
    with stored.transaction() as repo:
        records.approve(repo.session, reply_id, "李处长")
    approved = view(stored, reply_id)
    assert (approved.state, approved.approved_by, approved.approval_valid) == ("approved", "李处长", True)
    assert [step[:3] for step in trail(stored, reply_id)[-2:]] == [("李处长", "approved", "draft"),
                                                                   ("李处长", "draft", "approved")]
    assert trail(stored, reply_id)[-2][3] == "approval voided: content changed after approval"
    force(stored, reply_id, text="又改了一次。", must_look=True)  # and after a post whose outcome is unknown
    with stored.transaction() as repo, pytest.raises(IllegalTransition, match="the next push ends it dead$"):
        records.approve(repo.session, reply_id, "李处长")


def test_a_run_started_at_the_moment_of_posting_does_not_count(stored: Store) -> None:
    posted_at = utcnow() - timedelta(hours=1)
    reply_id = add(stored)
    force(stored, reply_id, state="posted", posted_at=posted_at)
    run_at(stored, PLATFORM, posted_at)
    assert listed(stored, 1) == []


def test_a_reply_loaded_for_a_change_is_locked_until_commit_and_a_read_is_not(stored: Store) -> None:
    if stored.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: its writers take turns (BEGIN IMMEDIATE, see db.py)")
    reply_id = add(stored)
    with stored.transaction() as repo:
        records.load(repo.session, reply_id)  # as approve, edit and cancel load it
        with stored.engine.connect() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                other.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(reason="x"))
            other.rollback()
            other.execute(text("SET lock_timeout = '200ms'"))
            with Session(bind=other) as reader:  # while the lock is held, a read that does not lock answers
                assert records.load(reader, reply_id, lock=False).id == reply_id


def test_a_new_reply_has_lf_line_breaks_a_created_entry_and_needs_text(stored: Store) -> None:
    with stored.transaction() as repo:
        reply_id = records.add_reply(repo.session, PLATFORM, "25445483", " 第一行\r\n第二行\r第三行 ", UNIT, "zjj",
                                     "oa-system").id
    assert view(stored, reply_id).text == "第一行\n第二行\n第三行"
    assert trail(stored, reply_id) == [("oa-system", None, "draft", "created")]
    with stored.transaction() as repo, pytest.raises(ValueError, match="^a reply needs some text$"):
        records.add_reply(repo.session, PLATFORM, "25445483", " \r\n ", UNIT, "zjj", "oa-system")


def test_only_posted_replies_of_the_harvested_platform_are_verified(stored: Store, run_id: int) -> None:
    store_batch(stored, [letter("7001")], run_id)  # the same id on two platforms
    elsewhere, unsent = add(stored, "7001", platform=OTHER), add(stored, "7001")
    force(stored, elsewhere, state="posted", posted_at=utcnow())
    approve(stored, unsent)  # approved, not yet pushed: its text on the page was put there by hand
    assert confirm(stored, run_id, Reply(text=TEXT, organisation=UNIT), external_id="7001") == 0
    assert (view(stored, elsewhere).state, view(stored, unsent).state) == ("posted", "approved")


def send_back(store: Store, reply_id: int, reason: str) -> None:
    with store.transaction() as repo:
        records.send_back(repo.session, reply_id, "李主任", reason)


def test_a_reply_sent_back_keeps_the_reason_and_loses_every_trace_of_its_approval(stored: Store) -> None:
    draft, approved = add(stored), add(stored, "25445484")
    approve(stored, approved)
    send_back(stored, draft, "请补充办理结果")
    send_back(stored, approved, "口径不对")
    assert (view(stored, draft).state, view(stored, draft).reason) == ("draft", "请补充办理结果")
    assert trail(stored, draft)[-1] == ("李主任", "draft", "draft", "sent back: 请补充办理结果")
    returned = view(stored, approved)
    assert (returned.state, returned.reason, returned.approved_by, returned.approved_at, returned.approved_hash) == (
        "draft", "口径不对", None, None, None)
    assert trail(stored, approved)[-1] == ("李主任", "approved", "draft", "approval voided: sent back: 口径不对")


def test_a_reply_that_may_be_on_the_platform_or_is_past_approval_is_not_sent_back(stored: Store) -> None:
    unknown, sending, draft = add(stored), add(stored, "25445484"), add(stored, "7001", platform=OTHER)
    approve(stored, unknown)
    force(stored, unknown, must_look=True)  # an earlier post's outcome is unknown: the text may be published
    with pytest.raises(IllegalTransition, match=f"reply {unknown} may already be on the platform"):
        send_back(stored, unknown, "改一下")
    force(stored, sending, state="sending")
    with pytest.raises(IllegalTransition, match=f"reply {sending} is sending; only draft or approved replies"):
        send_back(stored, sending, "改一下")
    force(stored, draft, must_look=True)  # a draft is never handed to the platform: the flag does not hold it
    send_back(stored, draft, "改一下")
    assert (view(stored, unknown).state, view(stored, unknown).approved_by, view(stored, sending).state,
            view(stored, draft).state) == ("approved", "张科长", "sending", "draft")
