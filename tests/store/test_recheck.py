"""What the spider asks the store: known states per list page, and the messages to read again (open ones due
for a recheck, and those whose posted reply awaits confirmation)."""

from __future__ import annotations

from harvester.app.replies import Outbox, State, claims
from harvester.schema import Reply
from harvester.store.db import Store
from harvester.store.outbox import states as replies_states
from harvester.store.outbox.confirm import confirm_posted_replies
from harvester.store.rechecks import AWAITING_CONFIRMATION, LOOKAHEAD, RecheckQueue
from harvester.timeutil import utcnow
from harvester.vocab import Status
from tests.store.builders import PLATFORM, later, letter, store_batch


def test_known_states_answers_for_stored_ids_only(store: Store, run_id: int) -> None:
    store_batch(store, [letter("1"), letter("2", status=Status.REPLIED, status_raw="已回复")], run_id)
    with store.transaction() as repo:
        states = repo.known_states(PLATFORM, ["1", "2", "3"])
        assert repo.known_states("other", ["1"]) == {}
        many = repo.known_states(PLATFORM, [str(n) for n in range(1500)])
    assert set(states) == {"1", "2"} and set(many) == {"1", "2"}
    assert (states["2"].status, states["2"].status_raw) == ("replied", "已回复")
    assert states["1"].content_hash == letter("1").content_hash()


def test_due_for_recheck_is_open_messages_seen_before_the_cutoff_oldest_first(store: Store, run_id: int) -> None:
    store_batch(store, [letter("old")], run_id, seen_at=later(0))
    store_batch(store, [letter("older", status=Status.IN_PROGRESS, status_raw="办理中")], run_id, seen_at=later(-2))
    store_batch(store, [letter("recent")], run_id, seen_at=later(10))
    store_batch(store, [letter("settled", status=Status.CLOSED, status_raw="已办结")], run_id, seen_at=later(-5))
    store_batch(store, [letter("elsewhere", platform="other")], run_id, seen_at=later(-9))
    with store.transaction() as repo:
        due = repo.due_for_recheck(PLATFORM, ["pending", "in_progress"], later(5), limit=10)
        first = repo.due_for_recheck(PLATFORM, [Status.PENDING, Status.IN_PROGRESS], later(5), limit=1)
        none_yet = repo.due_for_recheck(PLATFORM, ["pending"], later(-1), limit=10)
    assert [t.external_id for t in due] == ["older", "old"]
    assert due[0].url.endswith("transactId=older")
    assert [t.external_id for t in first] == ["older"] and none_yet == []


def test_seeing_a_message_again_takes_it_off_the_recheck_list(store: Store, run_id: int) -> None:
    store_batch(store, [letter("1"), letter("2")], run_id, seen_at=later(0))
    store_batch(store, [letter("1")], run_id, seen_at=later(4))
    with store.transaction() as repo:
        assert [t.external_id for t in repo.due_for_recheck(PLATFORM, ["pending"], later(3), 10)] == ["2"]


def test_messages_unchanged_for_the_window_have_settled_and_are_not_rechecked(store: Store, run_id: int) -> None:
    store_batch(store, [letter("quiet")], run_id, seen_at=later(-30))
    store_batch(store, [letter("lively")], run_id, seen_at=later(-1))
    with store.transaction() as repo:
        due = repo.due_for_recheck(PLATFORM, ["pending"], later(5), limit=10, changed_after=later(-10))
        unbounded = repo.due_for_recheck(PLATFORM, ["pending"], later(5), limit=10)
    assert [t.external_id for t in due] == ["lively"]
    assert {t.external_id for t in unbounded} == {"quiet", "lively"}


def test_public_by_letter_no_finds_stored_letters_not_yet_hidden(store: Store, run_id: int) -> None:
    from dataclasses import replace

    store_batch(store, [replace(letter("1"), letter_no="XF20261118-0001"),
                        replace(letter("2"), letter_no="XF20261118-0002", status=Status.HIDDEN, status_raw="不公开")],
                run_id)
    with store.transaction() as repo:
        found = repo.public_by_letter_no(PLATFORM, ["XF20261118-0001", "XF20261118-0002", "XF20990101-0001"])
        elsewhere = repo.public_by_letter_no("other", ["XF20261118-0001"])
    assert found == {"XF20261118-0001": "1"} and elsewhere == {}


# --- replies awaiting confirmation, and adaptive revisits beyond the first candidates ------------------------
def reply_in(store: Store, external_id: str, state: State, platform: str = PLATFORM) -> int:
    """An approved reply to the stored message, claimed and ended in `state` as a push would."""
    box = Outbox(store)
    reply_id = box.add(platform, external_id, "您好，经核查，该工地已停止夜间施工。", "市住建局", "zjj", "oa-system").id
    box.approve(reply_id, "张科长")
    held = claims.claim(store, reply_id, "test:1")
    assert isinstance(held, claims.Claim)
    claims.finish(store, held, state, "push test:1", str(state), posted_at=utcnow())
    return reply_id


def test_messages_with_a_posted_reply_come_first_whatever_their_status_sighting_or_quiet(store: Store,
                                                                                          run_id: int) -> None:
    closed = {"status": Status.CLOSED, "status_raw": "已办结"}
    store_batch(store, [letter("settled", **closed), letter("moderated", status=Status.REPLIED, status_raw="已回复"),
                        letter("confirmed", **closed), letter("quiet", **closed),
                        letter("settled", platform="other", **closed)], run_id, seen_at=later(-30 * 24))
    store_batch(store, [letter("open")], run_id, seen_at=later(-5))
    # seen again just now, unchanged for a month: settled, outside the window, and not due under any backoff
    store_batch(store, [letter("settled", **closed), letter("quiet", **closed)], run_id, seen_at=later(0))
    reply_in(store, "settled", State.POSTED)
    reply_in(store, "moderated", State.POSTED_PENDING_MODERATION)
    reply_in(store, "settled", State.POSTED, platform="other")
    confirmed = reply_in(store, "confirmed", State.POSTED)
    with store.transaction() as repo:  # a harvest saw this one: it needs no more reading
        confirm_posted_replies(repo.session, [letter("confirmed", **closed, replies=(
            Reply(text="您好，经核查，该工地已停止夜间施工。", organisation="市住建局"),))], run_id, utcnow())
    assert Outbox(store).get(confirmed).state == "verified"

    def queue(limit: int) -> RecheckQueue:
        with store.transaction() as repo:
            return repo.recheck_queue(PLATFORM, ["pending", "in_progress"], later(-3), limit,
                                      changed_after=later(-10 * 24), backoff=8, now=later(0.5))

    full, short = queue(10), queue(1)
    assert [(t.external_id, t.awaiting_reply) for t in full.targets] == [
        ("moderated", True), ("settled", True), ("open", False)]
    assert (full.awaiting_reply, full.deferred) == (2, 0)
    # the limit never cuts a reply awaiting confirmation; the open letter waits for the next run
    assert [t.external_id for t in short.targets] == ["moderated", "settled"] and short.deferred == 1
    with store.transaction() as repo:
        listed = repo.due_for_recheck(PLATFORM, ["pending"], later(-3), 10, changed_after=later(-10 * 24))
    assert [t.external_id for t in listed] == ["moderated", "settled", "open"]


def test_a_due_letter_behind_many_recently_seen_quiet_ones_is_still_found(store: Store, run_id: int) -> None:
    limit = 2
    quiet = [letter(f"quiet-{n}") for n in range(LOOKAHEAD * limit + 1)]
    store_batch(store, quiet, run_id, seen_at=later(-1000))
    store_batch(store, quiet, run_id, seen_at=later(-20))  # unchanged for 1000 h, seen 20 h ago: due at 125 h
    store_batch(store, [letter("lively")], run_id, seen_at=later(-10))  # changed 10 h ago: due after 1.25 h
    with store.transaction() as repo:
        found = repo.recheck_queue(PLATFORM, ["pending"], later(-3), limit, backoff=8, now=later(0))
        without_backoff = repo.recheck_queue(PLATFORM, ["pending"], later(-3), limit, now=later(0))
    assert [t.external_id for t in found.targets] == ["lively"] and found.deferred == 0
    # without adaptive revisits every one is due: the least recently seen go first, the rest are deferred
    assert [t.external_id for t in without_backoff.targets] == ["quiet-0", "quiet-1"]
    assert without_backoff.deferred == LOOKAHEAD * limit - limit


def test_the_store_waits_on_the_same_outbox_states_as_confirmation() -> None:
    assert AWAITING_CONFIRMATION == tuple(state.value for state in replies_states.AWAITING_CONFIRMATION)


def test_peoples_daily_skips_graded_messages_unless_a_reply_of_ours_awaits_confirmation(store: Store,
                                                                                       run_id: int) -> None:
    from harvester.definition import find_spec
    from spiders.people.recheck import due_targets

    graded = {"status": Status.REPLIED, "status_raw": "已办理", "satisfaction": {"overall": 5}}
    store_batch(store, [letter("graded", **graded), letter("ours", **graded), letter("ungraded", **{
        **graded, "satisfaction": {}})], run_id, seen_at=later(-48))
    reply_in(store, "ours", State.POSTED)
    spec = find_spec("people_demo")
    targets = due_targets(store, PLATFORM, spec, later(-3), 2, later(0))
    assert [(t.external_id, t.awaiting_reply) for t in targets] == [("ours", True), ("ungraded", False)]
