"""Reading a Discuz thread from the page where it changed: the page arithmetic, the merge with the stored floors,
and every reason the merge is refused for a full read. Threads are modelled floor by floor in memory."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from harvester.schema import Message, Reply
from harvester.timeutil import SHANGHAI
from harvester.vocab import Status
from spiders.discuz.messages import Opening, ThreadContext, thread_message
from spiders.discuz.options import parse_options
from spiders.discuz.pages import PostView, ThreadPage
from spiders.discuz.resume import (
    Resume,
    StoredThread,
    Untrusted,
    resume_page,
    resumed_message,
    stored_thread,
)

PPP = 10
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
OFFICIAL = "区住建局"
OPTIONS = parse_options({"official_accounts": [OFFICIAL]}, "test")
CONTEXT = ThreadContext("discuz_demo", Board(id="27", addressee="网络问政"), "180123",
                        "http://forum/thread-180123-1-1.html", OPTIONS)
SNAPSHOT = Snapshot("http://forum/thread-180123-4-1.html", 200, b"", NOW)


def floor(n: int, locked: bool = False, author: str | None = None) -> PostView:
    """Floor n, posted 17 minutes after floor n - 1; pids grow with floors, with gaps as on a busy forum."""
    return PostView(pid=str(5000 + 3 * n), floor=n, author=author or f"网友{n}",
                    posted_at=T0 + timedelta(minutes=17 * n), text=None if locked else f"第{n}楼：路灯还是不亮。",
                    locked="moderator" if locked else None)


def floors(last: int, *, locked: tuple[int, ...] = (), gone: tuple[int, ...] = ()) -> list[PostView]:
    return [floor(n, n in locked) for n in range(1, last + 1) if n not in gone]


@dataclass
class Thread:
    """A thread as the forum shows it. By default pages hold `ppp` shown floors in turn (the replica); with
    `by_position` page k holds floors (k-1)*ppp+1 .. k*ppp and gaps stay gaps (Discuz X3's `position`)."""

    shown: list[PostView]
    subject: str = "小区门口路灯坏了两个月"
    by_position: bool = False

    def page_posts(self) -> list[list[PostView]]:
        if not self.by_position:
            return [self.shown[start:start + PPP] for start in range(0, len(self.shown), PPP)]
        count = (self.shown[-1].floor - 1) // PPP + 1
        return [[p for p in self.shown if (p.floor - 1) // PPP == index] for index in range(count)]

    def pages(self, start: int = 1) -> list[ThreadPage]:
        """Pages from `start` to the end; a page past the end shows the last one, as Discuz does. Only page 1
        shows the 查看/回复 counters (later pages have div#tath)."""
        chunks = self.page_posts()
        start = min(start, len(chunks))
        return [ThreadPage(subject=self.subject, type_label="投诉", views=321 if number == 1 else None,
                           replies=len(self.shown) - 1 if number == 1 else None, page=number, posts=tuple(chunks[number - 1]),
                           next_url=None if number == len(chunks) else f"thread-180123-{number + 1}-1.html")
                for number in range(start, len(chunks) + 1)]

    def read_whole(self, context: ThreadContext = CONTEXT) -> Message:
        return thread_message(self.pages(), context, SNAPSHOT)

    def stored(self, context: ThreadContext = CONTEXT) -> StoredThread:
        """What a full read left in the store."""
        message = self.read_whole(context)
        assert message.updated_at is not None
        return StoredThread(Opening(message.author, message.posted_at, message.body), message.replies,
                            message.updated_at)

    @property
    def hidden(self) -> int:
        return sum(post.text is None for post in self.shown)


def resume_for(before: Thread, ppp: int = PPP) -> Resume:
    return Resume(resume_page(len(before.stored().replies), ppp), before.hidden)


def read_on(before: Thread, after: Thread, resume: Resume | None = None,
            context: ThreadContext = CONTEXT) -> Message:
    """The message a partial read of `after` builds on what a full read of `before` stored; the board list row
    that started the read gives the reply count and views."""
    resume = resume or resume_for(before)
    if resume.replies is None:
        resume = dataclasses.replace(resume, replies=len(after.shown) - 1, views=321)
    return resumed_message(before.stored(), after.pages(resume.page), resume, context, SNAPSHOT)


# --- where to start ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("stored_replies", "page"), [(0, 1), (9, 1), (10, 2), (19, 2), (36, 4), (39, 4), (40, 5),
                                                      (399, 40)])
def test_the_read_starts_on_the_page_of_the_last_stored_reply_counting_no_hidden_floor(
        stored_replies: int, page: int) -> None:
    assert resume_page(stored_replies, PPP) == page


def test_a_forum_with_more_posts_per_page_starts_earlier() -> None:
    assert resume_page(36, 20) == 2 and resume_page(36, 40) == 1


# --- the merge is the whole thread -----------------------------------------------------------------------------
@pytest.mark.parametrize("locked", [(), (5,), tuple(range(12, 24)), (-1,)])  # -1: the last floor
@pytest.mark.parametrize("last", [11, 19, 20, 21, 29, 30, 37, 44])
@pytest.mark.parametrize("new", [1, 3])
def test_new_floors_read_from_the_resume_page_give_the_message_a_full_read_gives(
        last: int, locked: tuple[int, ...], new: int) -> None:
    hidden = tuple(last if n == -1 else n for n in locked)
    before = Thread(floors(last, locked=hidden))
    additions = [floor(n, author=OFFICIAL if n == last + new else None) for n in range(last + 1, last + new + 1)]
    after = Thread([*before.shown, *additions])
    resume = resume_for(before)
    if resume.page == 1:
        return  # the thread fits on the first page: read whole
    assert read_on(before, after, resume) == after.read_whole()
    assert after.read_whole().status is Status.REPLIED  # the new official floor counts


def test_only_the_pages_from_the_last_stored_reply_are_needed() -> None:
    before = Thread(floors(37))
    after = Thread(floors(38))
    resume = resume_for(before)
    assert resume.page == 4 and [page.page for page in after.pages(resume.page)] == [4]
    message = read_on(before, after)
    assert [reply.external_id for reply in message.replies] == [floor(n).pid for n in range(2, 39)]


def test_a_forum_that_pages_by_floor_position_with_gaps_merges_too() -> None:
    before = Thread(floors(37, gone=(8, 9), locked=(33,)), by_position=True)
    after = Thread(floors(39, gone=(8, 9), locked=(33,)), by_position=True)
    assert [p.floor for p in after.pages(resume_for(before).page)[0].posts][0] == 31
    assert read_on(before, after) == after.read_whole()


def test_a_stored_floor_hidden_on_a_page_read_leaves_the_message() -> None:
    before, after = Thread(floors(37)), Thread(floors(38, locked=(33,)))
    message = read_on(before, after)
    assert message == after.read_whole() and floor(33).pid not in {r.external_id for r in message.replies}


def test_the_title_comes_from_the_page_read_and_the_opening_post_from_the_store() -> None:
    before = Thread(floors(37))
    edited_opening = dataclasses.replace(floor(1), text="（已编辑）路灯修好了一个。")
    after = Thread([edited_opening, *floors(38)[1:]], subject="小区门口路灯坏了两个月（已修一个）")
    message = read_on(before, after)
    assert message.title == "小区门口路灯坏了两个月（已修一个）"
    assert message.body == floor(1).text  # an edit of the opening post does not bump: a partial read misses it


def test_stored_replies_are_filed_under_the_accounts_configured_now() -> None:
    before = Thread([floor(1), floor(2, author=OFFICIAL), *floors(37)[2:]])
    after = Thread([*before.shown, floor(38)])
    plain = dataclasses.replace(CONTEXT, options=parse_options({}, "test"))
    resume = dataclasses.replace(resume_for(before), replies=len(after.shown) - 1)
    message = resumed_message(before.stored(plain), after.pages(resume.page), resume, CONTEXT, SNAPSHOT)
    assert message.replies[0].official and message.replies[0].organisation == OFFICIAL
    assert message.status is Status.REPLIED


def test_pages_after_the_first_show_no_counters_so_the_list_row_gives_count_and_views() -> None:
    """Real Discuz prints 查看/回复 on page 1 only (div#tath on later pages): the count comes from the list row,
    and without one the merge is refused (read whole) rather than trusted."""
    before, after = Thread(floors(37)), Thread(floors(39))
    bare = resume_for(before)
    assert all(page.replies is None for page in after.pages(bare.page))
    message = read_on(before, after, dataclasses.replace(bare, replies=38, views=400))
    assert len(message.replies) == 38 and message.views == 400
    with pytest.raises(Untrusted, match="no reply count"):
        resumed_message(before.stored(), after.pages(bare.page), bare, CONTEXT, SNAPSHOT)
    assert "counts 39 replies" in refused(before, after, dataclasses.replace(bare, replies=39))


def test_a_floor_hidden_on_a_page_not_read_stays_as_stored() -> None:
    """The documented blind spot: a moderator's lock on a skipped page does not change the reply count."""
    before, after = Thread(floors(37)), Thread(floors(38, locked=(5,)))
    message = read_on(before, after)
    assert floor(5).pid in {reply.external_id for reply in message.replies}
    assert len(message.replies) == len(after.read_whole().replies) + 1


# --- refusals: read the thread whole -----------------------------------------------------------------------------
def refused(before: Thread, after: Thread, resume: Resume | None = None,
            context: ThreadContext = CONTEXT) -> str:
    with pytest.raises(Untrusted) as raised:
        read_on(before, after, resume, context)
    return raised.value.reason


def test_a_reply_approved_on_a_page_not_read_is_caught_by_the_count() -> None:
    before = Thread(floors(30, gone=(15,)))  # floor 15 waited in the moderation queue
    after = Thread(floors(31))  # approved: every later floor moves one place on
    assert "counts 30 replies" in refused(before, after)


def test_a_reply_approved_on_a_page_read_is_refused_as_an_older_floor() -> None:
    before, after = Thread(floors(37, gone=(35,))), Thread(floors(38))
    assert f"floor {floor(35).pid} is older" in refused(before, after)


def test_a_floor_deleted_before_the_pages_read_is_caught_by_the_count() -> None:
    before, after = Thread(floors(35)), Thread(floors(36, gone=(8,)))
    assert "counts 34 replies" in refused(before, after)


def test_a_deletion_that_moves_the_last_stored_reply_off_the_pages_read_is_refused() -> None:
    before, after = Thread(floors(31)), Thread(floors(32, gone=(8,)))
    assert "no stored reply" in refused(before, after)


def test_a_stored_reply_missing_from_the_pages_read_is_refused() -> None:
    before, after = Thread(floors(37)), Thread(floors(38, gone=(35,)))
    assert f"stored reply {floor(35).pid} is no longer" in refused(before, after)


def test_a_thread_that_shrank_below_the_resume_page_is_refused() -> None:
    before, after = Thread(floors(41)), Thread(floors(42, gone=(3, 4, 5, 6)))
    assert "asked for page 5, the forum served page 4" in refused(before, after)


def test_a_forgotten_hidden_floor_count_is_refused() -> None:
    before, after = Thread(floors(37, locked=(5,))), Thread(floors(38, locked=(5,)))
    assert read_on(before, after) == after.read_whole()
    assert "counts 37 replies, the store and the pages read account for 28 + 0 hidden + 8" in refused(
        before, after, Resume(4, hidden=0))


def test_a_wrong_posts_per_page_is_refused() -> None:
    before, after = Thread(floors(37)), Thread(floors(38))
    wide = dataclasses.replace(CONTEXT, options=parse_options({"posts_per_page": 20}, "test"))
    assert "below 21" in refused(before, after, resume_for(before, 20), wide)
    narrow = dataclasses.replace(CONTEXT, options=parse_options({"posts_per_page": 5}, "test"))
    assert "more than 5 floors" in refused(before, after, Resume(2, 0), narrow)


def test_page_one_is_never_a_resumed_read() -> None:
    assert "full read" in refused(Thread(floors(8)), Thread(floors(9)), Resume(1, 0))


# --- the stored message as the store gives it ----------------------------------------------------------------
def test_a_stored_record_becomes_the_opening_post_and_the_replies_in_order() -> None:
    record = {"author": "网友1", "posted_at": T0, "body": "正文", "updated_at": None, "replies": [
        {"text": "第2楼", "organisation": None, "replied_at": T0 + timedelta(hours=1), "external_id": "5006",
         "author": "网友2", "official": False, "title": None}]}
    thread = stored_thread(record)
    assert thread.opening == Opening("网友1", T0, "正文") and thread.updated_at == T0
    assert thread.replies == (Reply(text="第2楼", organisation=None, replied_at=T0 + timedelta(hours=1),
                                    external_id="5006", author="网友2", official=False),)
