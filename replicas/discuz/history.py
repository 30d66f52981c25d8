"""The forum's past, generated from the seed: members, pinned notices and six weeks of threads."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

from replicas.discuz import content
from replicas.discuz.model import LOCK_AUTHOR, LOCK_SINGLE, Board, Post, Thread, User
from replicas.discuz.world import World

HISTORY = timedelta(days=45)
CITIZENS = 60
LONG_THREAD_REPLIES = 36  # one thread per board always spans several pages (setting long_thread_replies)
KINDS, KIND_WEIGHTS = ("投诉", "咨询", "建议", "求助"), (40, 25, 15, 20)
NOTICE_REPLIES = ["支持版主！", "收到，遵守版规。", "顶"]


def password(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))


def add_members(world: World, rng: random.Random) -> None:
    """Staff, official accounts, then citizens: the oldest are 中级会员, the newest still 新手上路."""
    world.add_user(User(1, "绵州论坛管理员", password(rng), "管理员"))
    world.add_user(User(2, "网络问政版主", password(rng), "版主"))
    for offset, (name, _, _) in enumerate(content.OFFICIALS):
        world.add_user(User(10 + offset, name, password(rng), "政务认证", official=True))
    uid, names = 1000, set[str]()
    while len(names) < CITIZENS:
        name = content.username(rng)
        if name in names:
            continue
        names.add(name)
        uid += rng.randint(1, 40)
        index = len(names) - 1
        group = "中级会员" if index < 10 else "新手上路" if index >= CITIZENS - 6 else "注册会员"
        world.add_user(User(uid, name, password(rng), group))


def unit_for(world: World, topic: str) -> tuple[User, str]:
    """The official account (and its signing unit) that answers threads on `topic`."""
    for name, unit, topics in content.OFFICIALS:
        if topic in topics:
            return world.by_name[name], unit
    name, unit, _ = content.OFFICIALS[0]
    return world.by_name[name], unit


def opening(world: World, board: Board, rng: random.Random, posted: datetime) -> Thread:
    """A thread with only its first post; ids come later, in time order across the forum."""
    author = rng.choice(world.citizens())
    type_ids = {name: typeid for typeid, name in board.types.items()}
    if board.kind == "wenzheng":
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        subject, body, topic = content.complaint(rng, kind)
        typeid: int | None = type_ids.get(kind)
    else:
        (subject, body), topic = content.chat(rng), ""
        typeid = rng.choice(list(board.types)) if board.types and rng.random() < 0.7 else None
    thread = Thread(0, board.fid, subject, typeid, author, posted, topic=topic)
    thread.posts.append(Post(0, 0, author, posted, body, first=True))
    return thread


def reply_times(rng: random.Random, start: datetime, end: datetime, count: int, mean: timedelta) -> list[datetime]:
    times, moment = [], start
    for _ in range(count):
        moment += timedelta(seconds=60 + rng.expovariate(1 / mean.total_seconds()))
        if moment >= end:
            break
        times.append(moment)
    return times


def answer_plan(world: World, thread: Thread, rng: random.Random, end: datetime) -> list[tuple[datetime, User, str]]:
    """When officials speak on a 问政 thread: sometimes a referral by the mayor's office, then the unit."""
    if rng.random() >= 0.7:
        return []
    account, unit = unit_for(world, thread.topic)
    at = thread.dateline + timedelta(hours=rng.uniform(20, 240))
    plan = [(at, account, content.answer(rng, unit))]
    if account.username != "市长信箱办公室" and rng.random() < 0.35:
        mayor = world.by_name["市长信箱办公室"]
        plan.insert(0, (max(thread.dateline + timedelta(hours=1), at - timedelta(hours=rng.uniform(2, 20))),
                        mayor, content.referral(unit)))
    return [step for step in plan if step[0] < end]


def grow(world: World, board: Board, thread: Thread, rng: random.Random, long: int | None) -> None:
    """Append the replies a thread collected before the replica started (`long`: that many, at short gaps)."""
    count = long if long is not None else rng.choices(
        [0, rng.randint(1, 5), rng.randint(6, 15), rng.randint(16, 30)], [20, 50, 20, 10])[0]
    mean = timedelta(hours=2 if long is not None else 8)
    events: list[tuple[datetime, User | None, str]] = [(moment, None, "") for moment in reply_times(rng, thread.dateline, world.anchor, count, mean)]
    if board.kind == "wenzheng":
        events += answer_plan(world, thread, rng, world.anchor)
    answered = False
    for moment, official, message in sorted(events, key=lambda event: event[0]):
        if official is None:
            author = thread.author if answered and rng.random() < 0.4 else rng.choice(world.citizens())
            message = content.follow_up(rng, answered) if board.kind == "wenzheng" else content.chat_reply(rng)
        else:
            author, answered = official, answered or "转交" not in message
        thread.posts.append(Post(0, 0, author, moment, message))


def decorate(thread: Thread, rng: random.Random, readperm: bool) -> None:
    """Moderation traces and counters: hidden posts, closed threads, edit notes, views."""
    for post in thread.posts[1:]:
        roll = rng.random()
        post.locked = LOCK_SINGLE if roll < 0.03 else LOCK_AUTHOR if roll < 0.04 else None
    if rng.random() < 0.03:
        thread.moderate(True, max(post.dateline for post in thread.posts) + timedelta(minutes=10))
    thread.readperm = 30 if readperm else 0
    if rng.random() < 0.08:
        thread.posts[0].edited_at = thread.dateline + timedelta(minutes=rng.randint(2, 90))
    thread.views = len(thread.posts) * rng.randint(10, 40) + rng.randint(20, 300)


def notices(world: World, board: Board, rng: random.Random) -> list[Thread]:
    """The pinned threads: board rules posted by staff long ago; they never move."""
    staff = world.by_name["网络问政版主" if board.kind == "wenzheng" else "绵州论坛管理员"]
    threads = []
    for subject, body in content.NOTICES[board.kind]:
        posted = world.anchor - timedelta(days=rng.uniform(60, 120))
        thread = Thread(0, board.fid, subject, None, staff, posted, pinned=True)
        thread.posts.append(Post(0, 0, staff, posted, body, first=True))
        for moment in reply_times(rng, posted, posted + timedelta(days=5), rng.randint(0, 3), timedelta(hours=12)):
            thread.posts.append(Post(0, 0, rng.choice(world.citizens()), moment, rng.choice(NOTICE_REPLIES)))
        thread.moderate(True, posted + timedelta(days=6), staff.username)
        thread.views = rng.randint(2000, 9000)
        threads.append(thread)
    return threads


def number(world: World, drafts: list[Thread], rng: random.Random) -> None:
    """Give tids and pids in time order across the whole forum, as auto-increment columns would."""
    for thread in sorted(drafts, key=lambda t: t.dateline):
        thread.tid = world.next_tid(rng.randint(1, 4))
    posts = sorted(((post, thread) for thread in drafts for post in thread.posts),
                   key=lambda pair: (pair[0].dateline, pair[1].tid, pair[0].first is False))
    for post, thread in posts:
        post.pid, post.tid = world.next_pid(rng.randint(1, 3)), thread.tid
    for thread in drafts:
        for position, post in enumerate(thread.posts, start=1):
            post.position = position
        world.install(thread)


PAID_FROM, PRICE = 7, 20  # the 8th thread of a board and the next ones are sold for 20 金钱 (setting paid_threads)


def populate(world: World, rng: random.Random, threads_per_board: int,
             long_replies: int = LONG_THREAD_REPLIES, paid_threads: int = 0) -> None:
    """Fill an empty world: members first, then every board's notices and threads (one of them long)."""
    add_members(world, rng)
    drafts: list[Thread] = []
    for board in world.boards.values():
        drafts += notices(world, board, rng)
        for index in range(threads_per_board):
            long = index == threads_per_board // 3
            age = timedelta(days=20) if long else timedelta(seconds=rng.uniform(600, HISTORY.total_seconds()))
            thread = opening(world, board, rng, world.anchor - age)
            grow(world, board, thread, rng, long_replies if long else None)
            decorate(thread, rng, readperm=index == 5)
            if PAID_FROM <= index < PAID_FROM + paid_threads and not long:
                thread.price = PRICE
            drafts.append(thread)
    number(world, drafts, rng)
