"""A thread's pages -> one Message: the opening post is the message, later posts its replies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.registry import Board
from harvester.schema import Message, Reply
from harvester.vocab import Status, UnknownLabel, kind_of, topic_of
from spiders.discuz.options import DiscuzOptions
from spiders.discuz.pages import PostView, ThreadPage
from spiders.discuz.posts import PAID

# A forum shows no handling status; it is derived: answered once an official account has posted, closed once a
# moderator has closed the thread (the board list shows it as th.lock).
ANSWERED, WAITING, CLOSED = "已回复", "待回复", "已关闭"


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """What the spider knows about the thread it reads: where it is and how the forum is configured."""

    platform: str
    board: Board
    tid: str
    url: str
    options: DiscuzOptions
    closed: bool = False  # the board list showed the thread closed (or, read without the list, the store had it so)


def merged_posts(pages: Sequence[ThreadPage]) -> list[PostView]:
    """Every floor of the thread once, in floor order (a post that moved to the next page while the thread
    was being read shows up twice)."""
    by_pid = {post.pid: post for page in pages for post in page.posts}
    return sorted(by_pid.values(), key=lambda post: (post.floor, int(post.pid)))


def locked_posts(pages: Sequence[ThreadPage]) -> int:
    """How many floors show no text (a moderator hid them, or they are sold): not replies."""
    return sum(post.text is None for post in merged_posts(pages))


def thread_views(pages: Sequence[ThreadPage]) -> int | None:
    """The 查看 counter: shown on page 1 only."""
    return next((page.views for page in pages if page.views is not None), None)


def post_reply(post: PostView, options: DiscuzOptions) -> Reply:
    """A readable floor as a reply: official when its author is one of the forum's government accounts."""
    organisation = options.organisation(post.author)
    return Reply(text=post.text or "", organisation=organisation, replied_at=post.posted_at,
                 external_id=post.pid, author=post.author, official=organisation is not None)


def refiled(reply: Reply, options: DiscuzOptions) -> Reply:
    """A stored reply filed as a fresh read would file it (the official accounts may have been reconfigured)."""
    organisation = options.organisation(reply.author or "")
    return dataclasses.replace(reply, organisation=organisation, official=organisation is not None)


@dataclass(frozen=True, slots=True)
class Opening:
    """The opening post (楼主): the message's author, time and body."""

    author: str | None
    posted_at: datetime
    text: str


def thread_message(pages: Sequence[ThreadPage], context: ThreadContext, source: Snapshot) -> Message:
    """The thread as a message. `pages` are all its pages from the first; `source` is the first page.

    LayoutChanged when page 1 does not start with the opening post (楼主) or the type label is unknown;
    NotPublic when no body of the opening post is shown (hidden by a moderator, or sold for a price).
    """
    posts = merged_posts(pages)
    if not pages or not posts or posts[0].floor != 1:
        raise LayoutChanged("thread: the opening post (楼主) is missing from the first page")
    opening = posts[0]
    if opening.text is None and opening.locked == PAID:
        raise NotPublic("thread: the opening post is sold for a price (售价); a guest sees the purchase notice")
    if opening.text is None:
        raise NotPublic(f"thread: the opening post is not shown ({opening.locked})")
    replies = [post_reply(post, context.options) for post in posts[1:] if post.text is not None]
    return build_message(pages, Opening(opening.author, opening.posted_at, opening.text), replies,
                         max(post.posted_at for post in posts), context, source)


def build_message(pages: Sequence[ThreadPage], opening: Opening, replies: Sequence[Reply], updated_at: datetime,
                  context: ThreadContext, source: Snapshot, views: int | None = None) -> Message:
    """The message of a thread whose pages were read (title and type come from them, views from page 1 or
    `views`), given its opening post and every readable reply in floor order. LayoutChanged when the type
    label is unknown."""
    head = pages[0]
    topic_raw = context.options.board_topics.get(context.board.id)
    try:
        kind = kind_of(head.type_label, dict(context.options.kind_labels))
        topic = topic_of(topic_raw)
    except UnknownLabel as error:
        raise LayoutChanged(f"thread: {error}") from error
    answered = any(reply.official for reply in replies)
    status, status_raw = ((Status.CLOSED, CLOSED) if context.closed else
                          (Status.REPLIED, ANSWERED) if answered else (Status.PENDING, WAITING))
    return Message(
        platform=context.platform, external_id=context.tid, url=context.url, board_id=context.board.id,
        addressee=context.board.addressee, title=head.subject, body=opening.text,
        status=status, status_raw=status_raw,
        posted_at=opening.posted_at, fetched_at=source.fetched_at, kind=kind, kind_raw=head.type_label,
        topic=topic, topic_raw=topic_raw, author=opening.author, updated_at=updated_at,
        views=thread_views(pages) if thread_views(pages) is not None else views,
        replies=tuple(replies), source=source)
