"""The forum's state: members, boards, threads and posts, the replica clock, and the queries pages need."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from itertools import takewhile

from replicas.discuz.model import Board, Post, Thread, User

STEP = timedelta(hours=4)
FIRST_TID, FIRST_PID = 180_000, 2_400_000


class World:
    """Everything the forum database holds. `anchor` is the site's now when the replica started."""

    def __init__(self, seed: int, boards: list[Board], anchor: datetime) -> None:
        self.seed = seed
        self.anchor = anchor
        self.step_no = 0
        self.boards = {board.fid: board for board in boards}
        self.users: list[User] = []
        self.by_name: dict[str, User] = {}
        self.threads: dict[int, Thread] = {}
        self._by_board: dict[int, list[Thread]] = {board.fid: [] for board in boards}
        self.posts: dict[int, Post] = {}
        self.last_tid, self.last_pid = FIRST_TID, FIRST_PID
        self.version = 0  # bumped on every change that can reorder a board
        self._type_counts: dict[int, tuple[int, Counter[int]]] = {}
        self._listings: dict[tuple[int, str, int | None], tuple[int, list[Thread]]] = {}

    @property
    def offset(self) -> timedelta:
        """How far `advance` has moved the forum's clock."""
        return self.step_no * STEP

    @property
    def clock(self) -> datetime:
        return self.anchor + self.offset

    # -- building -----------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        self.users.append(user)
        self.by_name[user.username] = user

    def install(self, thread: Thread) -> None:
        """Register a thread whose ids are already assigned."""
        self.threads[thread.tid] = thread
        self._by_board[thread.fid].append(thread)
        for post in thread.posts:
            self.posts[post.pid] = post
        self.last_tid = max(self.last_tid, thread.tid)
        self.last_pid = max([self.last_pid, *(post.pid for post in thread.posts)])
        self.version += 1

    def next_tid(self, gap: int = 1) -> int:
        """Ids are shared with boards this replica does not serve, hence the gaps."""
        self.last_tid += gap
        return self.last_tid

    def next_pid(self, gap: int = 1) -> int:
        self.last_pid += gap
        return self.last_pid

    # -- changes ------------------------------------------------------------------------------

    def start_thread(self, board: Board, author: User, subject: str, typeid: int | None, message: str,
                     dateline: datetime, gap: int = 1, topic: str = "") -> Thread:
        thread = Thread(self.next_tid(gap), board.fid, subject, typeid, author, dateline, topic=topic)
        thread.posts.append(Post(self.next_pid(gap), thread.tid, author, dateline, message, 1, first=True))
        self.install(thread)
        return thread

    def reply(self, thread: Thread, author: User, message: str, dateline: datetime, gap: int = 1,
              moderated: bool = False) -> Post:
        position = max(post.position for post in thread.posts) + 1
        post = Post(self.next_pid(gap), thread.tid, author, dateline, message, position, moderated=moderated)
        thread.posts.append(post)
        self.posts[post.pid] = post
        self.version += 1
        return post

    def move(self, thread: Thread, fid: int) -> Thread:
        """A moderator moves a thread to board `fid` leaving a redirect (topicadmin_moderate, type=redirect): a
        new thread row in the old board, closed = the real tid, its last post as it was, no replies or views."""
        stub = Thread(self.next_tid(), thread.fid, thread.subject, thread.typeid, thread.author, thread.dateline,
                      closed=True, readperm=thread.readperm, moved_to=thread.tid, stub_last=thread.last_post)
        self._by_board[thread.fid].remove(thread)
        thread.fid = fid
        self._by_board[fid].append(thread)
        self.threads[stub.tid] = stub
        self._by_board[stub.fid].append(stub)
        self.version += 1
        return stub

    def approve(self, pids: list[int] | None) -> list[int]:
        """Release queued posts (all when `pids` is None); return the pids released."""
        queued = [post for post in self.posts.values() if post.moderated and (pids is None or post.pid in pids)]
        for post in queued:
            post.moderated = False
        self.version += 1
        return sorted(post.pid for post in queued)

    # -- queries ------------------------------------------------------------------------------

    def officials(self) -> list[User]:
        return [user for user in self.users if user.official]

    def citizens(self) -> list[User]:
        return [user for user in self.users if user.group in ("新手上路", "注册会员", "中级会员")]

    def board_threads(self, fid: int) -> list[Thread]:
        return self._by_board.get(fid, [])

    def type_counts(self, fid: int) -> Counter[int]:
        """Threads per thread type, for the type tabs; recounted only after a change."""
        cached = self._type_counts.get(fid)
        if cached is None or cached[0] != self.version:
            counts = Counter(t.typeid for t in self.board_threads(fid) if t.typeid is not None)
            cached = self._type_counts[fid] = (self.version, counts)
        return cached[1]

    def active_since(self, fid: int, moment: datetime) -> int:
        """How many of a board's threads have a post at or after `moment` (the header's 今日 figure)."""
        normal = (thread for thread in self.listing(fid) if not thread.pinned)
        return sum(1 for _ in takewhile(lambda thread: thread.last_post.dateline >= moment, normal))

    def listing(self, fid: int, order: str = "lastpost", typeid: int | None = None) -> list[Thread]:
        """A board's threads as forumdisplay orders them.

        Default: pinned first, then by last post (a reply bumps a thread to the top). With a type filter
        or `orderby=dateline` pinned threads are not singled out, as on Discuz.
        """
        key = (fid, order, typeid)
        cached = self._listings.get(key)
        if cached and cached[0] == self.version:
            return cached[1]
        threads = [t for t in self.board_threads(fid) if typeid is None or t.typeid == typeid]
        if order == "dateline":
            result = sorted(threads, key=lambda t: t.tid, reverse=True)
        else:
            result = sorted(threads, key=Thread.bump_key, reverse=True)
            if typeid is None:
                pinned = sorted((t for t in result if t.pinned), key=lambda t: t.tid, reverse=True)
                result = pinned + [t for t in result if not t.pinned]
        self._listings[key] = (self.version, result)
        return result

    def queued(self) -> list[Post]:
        return [post for post in self.posts.values() if post.moderated]
