"""The forum's records as the Discuz database holds them: users, boards, threads and posts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# User groups with Discuz's read-access levels; a thread's readperm is compared against these.
GROUP_ACCESS = {"新手上路": 10, "注册会员": 20, "中级会员": 30, "政务认证": 100, "版主": 150, "管理员": 200}
GUEST_ACCESS = 1
MODERATOR_GROUPS = ("版主", "管理员")  # they see every reply waiting for approval, as in the admin's audit view
LOCK_SINGLE = "single"  # one post hidden by a moderator
LOCK_AUTHOR = "author"  # the author is banned, every post of theirs is hidden


@dataclass(frozen=True)
class User:
    """A forum member; officials are government accounts that answer 问政 threads."""

    uid: int
    username: str
    password: str
    group: str
    official: bool = False

    @property
    def readaccess(self) -> int:
        return GROUP_ACCESS[self.group]

    @property
    def moderator(self) -> bool:
        return self.group in MODERATOR_GROUPS


@dataclass(frozen=True)
class Board:
    """A forum (版块). `kind` is "wenzheng" (complaints answered by officials) or "chat"."""

    fid: int
    name: str
    kind: str
    gid: int
    category: str
    types: dict[int, str]


@dataclass(frozen=True)
class ModAction:
    """The latest moderation of a thread, as Discuz X shows it on the opening post (div.modact: 本主题由 X 于 T 关闭)."""

    moderator: str
    action: str  # 关闭, 打开, …
    at: datetime


MODERATOR = "网络问政版主"
CLOSE, REOPEN = "关闭", "打开"


@dataclass
class Post:
    """One floor of a thread. `position` is fixed at insertion, so hidden posts leave gaps."""

    pid: int
    tid: int
    author: User
    dateline: datetime
    message: str
    position: int = 0
    first: bool = False
    locked: str | None = None
    moderated: bool = False
    edited_at: datetime | None = None

    def __post_init__(self) -> None:
        self.dateline = self.dateline.replace(microsecond=0)  # Discuz stores unix seconds


@dataclass
class Thread:
    """A thread (主题) and its posts in pid order, moderated ones included."""

    tid: int
    fid: int
    subject: str
    typeid: int | None
    author: User
    dateline: datetime
    views: int = 0
    pinned: bool = False
    closed: bool = False
    readperm: int = 0
    price: int = 0  # 售价 in 金钱: the opening post is shown to buyers, its author and moderators only
    topic: str = ""
    posts: list[Post] = field(default_factory=list)
    last_mod: ModAction | None = None
    moved_to: int = 0  # a redirect stub left in the old board by a move: the real thread's tid (closed = tid)
    stub_last: Post | None = None  # a stub's last post, as it was when the thread moved (never updated)

    def __post_init__(self) -> None:
        self.dateline = self.dateline.replace(microsecond=0)

    @property
    def shown(self) -> list[Post]:
        """Posts a visitor sees (locked ones render as a notice; moderated ones not at all)."""
        return [post for post in self.posts if not post.moderated]

    def visible_to(self, viewer: User | None) -> list[Post]:
        """Posts this visitor sees: the public ones, plus replies waiting for approval (invisible = -2) to
        their own author and to moderators. Guests and other members never see a queued reply."""
        if viewer is None:
            return self.shown
        return [post for post in self.posts
                if not post.moderated or viewer.moderator or post.author.uid == viewer.uid]

    @property
    def replies(self) -> int:
        return max(len(self.shown) - 1, 0)  # a move's redirect stub has no posts

    @property
    def last_post(self) -> Post:
        if self.stub_last is not None:
            return self.stub_last
        return next(post for post in reversed(self.posts) if not post.moderated)

    def moderate(self, closed: bool, at: datetime, moderator: str = MODERATOR) -> None:
        """Close (关闭主题) or reopen a thread: nothing is posted, so its last post stays where it was."""
        self.closed = closed
        self.last_mod = ModAction(moderator, CLOSE if closed else REOPEN, at.replace(microsecond=0))

    def paid_for(self, viewer: User | None) -> bool:
        """Whether this visitor sees the opening post of a thread sold for a price (nobody buys here)."""
        return not self.price or (viewer is not None and (viewer.moderator or viewer.uid == self.author.uid))

    @property
    def answered(self) -> bool:
        return any(post.author.official for post in self.posts)

    def bump_key(self) -> tuple[datetime, int]:
        """Board order: the newest visible post first; pid breaks ties of equal datelines."""
        last = self.last_post
        return last.dateline, last.pid
