"""The push's reads and holds of the outbox at their edges (SQLite and PostgreSQL): which approval goes first, a
deferral due exactly at its time, a lease that runs out only after its length, a holder whose host name holds
':', the values a push reads, and the words a person finds in the trail when a reply is voided or taken over."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from harvester.app.replies import Outbox, State
from harvester.store.db import Store
from harvester.store.outbox import claims
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from tests.store.builders import PLATFORM, letter, store_batch

TEXT = "您好，经核查，该工地已停止夜间施工。\n感谢您的监督。"
UNIT = "市住建局"
LEASE = timedelta(minutes=30)
# What a person reads in the reply's reason and trail: the literal words, not the constant that holds them.
IN_FLIGHT_WORDS = ("approval voided: content changed after the approved text was handed to the platform; "
                   "nothing more is sent (the approved text may be there already: check the platform)")
CHANGED_WORDS = "approval voided: content changed after approval; not sent"


@pytest.fixture
def box(store: Store, run_id: int) -> Outbox:
    store_batch(store, [letter("25445483"), letter("25445484")], run_id)
    return Outbox(store)


def approved(box: Outbox, external_id: str = "25445483", key: str | None = None) -> int:
    reply = box.add(PLATFORM, external_id, TEXT, UNIT, "zjj", "oa-system", idempotency_key=key)
    return box.approve(reply.id, "张科长", content_hash=reply.content_hash).id


def set_row(store: Store, reply_id: int, **values: Any) -> None:
    """Write the row as another system (or a dead push) left it, straight in the table."""
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(**values))


def held(store: Store, reply_id: int) -> claims.QueuedReply:
    (reply,) = [r for r in claims.sending(store) if r.id == reply_id]
    return reply


def exited_pid() -> int:
    """The pid of a process that has ended (and been reaped): a push that died."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_reply_approved_first_is_due_first_whatever_its_id(box: Outbox, store: Store) -> None:
    added_first, added_second = approved(box), approved(box, "25445484")
    set_row(store, added_first, approved_at=utcnow() - timedelta(hours=1))
    set_row(store, added_second, approved_at=utcnow() - timedelta(days=1))
    assert [r.id for r in claims.due(store)] == [added_second, added_first]


def test_replies_approved_at_the_same_moment_are_due_in_the_order_they_were_added(box: Outbox,
                                                                                  store: Store) -> None:
    added_first, added_second = (box.add(PLATFORM, n, TEXT, UNIT, "zjj", "oa-system").id
                                 for n in ("25445483", "25445484"))
    for reply_id in (added_second, added_first):  # approved the other way round: PostgreSQL finds the first last
        box.approve(reply_id, "张科长")
    batch = utcnow() - timedelta(minutes=5)  # a downstream system approving the list in one statement
    set_row(store, added_second, approved_at=batch)
    set_row(store, added_first, approved_at=batch)
    assert [r.id for r in claims.due(store)] == [added_first, added_second]


def test_replies_left_in_sending_are_read_in_the_order_they_were_added(box: Outbox, store: Store) -> None:
    added_first, added_second = approved(box), approved(box, "25445484")
    for reply_id in (added_second, added_first):  # claimed in the other order: PostgreSQL scans the first last
        assert not isinstance(claims.claim(store, reply_id, "elsewhere:4242"), str)
    assert [r.id for r in claims.sending(store)] == [added_first, added_second]


def test_a_deferred_reply_is_not_due_before_its_time_and_is_due_exactly_at_it(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    at = datetime.fromisoformat("2026-12-06T09:00:00+00:00")
    set_row(store, reply_id, not_before=at)
    assert claims.due(store, now=at - timedelta(microseconds=1)) == []
    assert [r.id for r in claims.due(store, now=at)] == [reply_id]


def test_a_holder_is_abandoned_only_once_its_lease_has_fully_run_out(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    assert not isinstance(claims.claim(store, reply_id, "elsewhere:4242"), str)
    reply = held(store, reply_id)
    assert reply.claimed_at is not None
    assert not claims.is_abandoned(reply, LEASE, now=reply.claimed_at + LEASE)
    assert claims.is_abandoned(reply, LEASE, now=reply.claimed_at + LEASE + timedelta(microseconds=1))


def test_a_dead_push_on_a_host_whose_name_holds_a_colon_is_taken_over_and_named_whole(
        box: Outbox, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """`host:pid` is split at its last ':' (a host name such as a Kubernetes node `pool:node-7` keeps its own)."""
    monkeypatch.setattr(socket, "gethostname", lambda: "pool:node-7")
    reply_id, dead = approved(box), f"pool:node-7:{exited_pid()}"
    assert not isinstance(claims.claim(store, reply_id, dead), str)
    taken = claims.take_over(store, reply_id, "pool:node-7:1", LEASE)  # its lease is fresh: only the pid tells
    assert isinstance(taken, claims.Claimed) and taken.reply.claimed_by == "pool:node-7:1"
    last = box.history(reply_id)[-1]
    assert (last.actor, last.from_state, last.to_state) == ("push pool:node-7:1", "sending", "sending")
    assert last.detail == (f"taken over from {dead}, which died mid-send: looking on the platform before "
                           "posting")


def test_a_push_reads_the_reply_key_and_the_last_failure_as_stored(box: Outbox, store: Store) -> None:
    reply_id = approved(box, key="oa-2026-0042")
    (due,) = claims.due(store)
    assert (due.idempotency_key, due.reason, due.attempts, due.must_look) == ("oa-2026-0042", None, 0, False)
    assert not isinstance(claims.claim(store, reply_id, "elsewhere:4242"), str)
    assert claims.count_attempt(store, reply_id) == 1
    claims.note(store, reply_id, "push elsewhere:4242", "HTTP 502 from the back office")
    reply = held(store, reply_id)
    assert (reply.idempotency_key, reply.reason, reply.attempts, reply.must_look) == (
        "oa-2026-0042", "HTTP 502 from the back office", 1, True)
    assert box.get(reply_id).reason == "HTTP 502 from the back office"
    last = box.history(reply_id)[-1]
    assert (last.actor, last.from_state, last.to_state, last.detail) == (
        "push elsewhere:4242", "sending", "sending", "HTTP 502 from the back office")


def test_counting_an_attempt_renews_the_holders_lease(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    assert not isinstance(claims.claim(store, reply_id, "elsewhere:4242"), str)
    set_row(store, reply_id, claimed_at=utcnow() - LEASE - timedelta(minutes=1))  # a long retry wait
    assert claims.is_abandoned(held(store, reply_id), LEASE)
    claims.count_attempt(store, reply_id)  # about to call the platform again: still alive
    assert not claims.is_abandoned(held(store, reply_id), LEASE)
    assert claims.take_over(store, reply_id, "me:1", LEASE) is None


def test_a_reply_changed_after_an_unknown_outcome_is_dead_with_the_words_a_person_reads(box: Outbox,
                                                                                         store: Store) -> None:
    reply_id = approved(box)
    assert not isinstance(claims.claim(store, reply_id, "earlier:1"), str)
    claims.count_attempt(store, reply_id)
    claims.finish(store, reply_id, State.APPROVED, "push earlier:1", "outcome unknown")
    set_row(store, reply_id, text="被改过的文字：请忽略此前的答复。")
    assert claims.claim(store, reply_id, "me:1") == IN_FLIGHT_WORDS
    view, last = box.get(reply_id), box.history(reply_id)[-1]
    assert (view.state, view.reason) == ("dead", IN_FLIGHT_WORDS)
    assert (last.actor, last.from_state, last.to_state, last.detail) == ("push me:1", "approved", "dead",
                                                                         IN_FLIGHT_WORDS)


def test_a_reply_changed_after_approval_goes_back_to_draft_saying_why(box: Outbox, store: Store) -> None:
    reply_id = approved(box)
    set_row(store, reply_id, text="被改过的文字。")
    assert claims.claim(store, reply_id, "me:1") == CHANGED_WORDS
    assert box.get(reply_id).state == "draft"


def test_a_reply_changed_in_flight_and_taken_over_is_dead_with_the_words_a_person_reads(box: Outbox,
                                                                                        store: Store) -> None:
    reply_id = approved(box)
    assert not isinstance(claims.claim(store, reply_id, "elsewhere:4242"), str)
    set_row(store, reply_id, text="被改过的文字。", claimed_at=utcnow() - timedelta(hours=2))
    assert claims.take_over(store, reply_id, "me:1", LEASE) == IN_FLIGHT_WORDS
    assert box.get(reply_id).reason == IN_FLIGHT_WORDS
    assert box.history(reply_id)[-1].detail == f"taken over from elsewhere:4242: {IN_FLIGHT_WORDS}"


def test_the_places_of_messages_are_read_once_each_and_unknown_ids_left_out(box: Outbox, store: Store) -> None:
    first, second = approved(box), approved(box, "25445484")
    ids = {r.id: r.message_id for r in claims.due(store)}
    found = claims.places(store, [ids[first], ids[second], ids[first], 10**9])
    assert found == {ids[first]: claims.MessagePlace(letter("25445483").url, "mayor"),
                     ids[second]: claims.MessagePlace(letter("25445484").url, "mayor")}
