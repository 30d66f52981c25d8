"""Time moving on: each 4-hour step brings new threads, replies that bump threads, and official answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from replicas.discuz import content
from replicas.discuz.history import KIND_WEIGHTS, KINDS, unit_for
from replicas.discuz.model import LOCK_SINGLE, Board, Thread
from replicas.discuz.world import STEP, World

Event = tuple[float, int, Callable[[datetime], None]]


def advance(world: World, steps: int) -> dict[str, Any]:
    """Run `steps` steps; each is a pure function of (seed, step number, current state)."""
    summary: dict[str, Any] = {"new_threads": [], "bumped": [], "new_pids": [], "official_replies": [],
                               "locked": [], "closed": []}
    for _ in range(steps):
        _step(world, summary)
    summary["bumped"] = list(dict.fromkeys(summary["bumped"]))
    summary["clock"] = world.clock.isoformat()
    return summary


def _step(world: World, summary: dict[str, Any]) -> None:
    rng = random.Random(f"discuz/{world.seed}/{world.step_no + 1}")
    start = world.clock
    world.step_no += 1
    events: list[Event] = []
    for board in world.boards.values():
        pool = [t for t in world.listing(board.fid) if not t.pinned and not t.moved_to][:25]
        events += _new_threads(world, board, rng, summary)
        events += _bumps(world, board, rng, pool, summary)
        events += _answers(world, board, rng, start, summary)
        for thread in pool:
            thread.views += rng.randint(0, 20)
        _maybe_lock(rng, pool, summary)
    for offset, _, apply in sorted(events, key=lambda event: event[:2]):
        apply(start + timedelta(seconds=offset))
    for board in world.boards.values():
        _maybe_close(world, board, summary)


def _maybe_close(world: World, board: Board, summary: dict[str, Any]) -> None:
    """Now and then a moderator closes a 问政 thread answered before this step (关闭主题): no new post, so its
    last post and its place in the list stay where they were; the list shows it as th.lock. A stream of its
    own, so closing leaves every other draw of the step as it was."""
    rng = random.Random(f"discuz/{world.seed}/{world.step_no}/close/{board.fid}")
    if board.kind != "wenzheng" or rng.random() >= 0.5:
        return
    settled = world.clock - STEP
    answered = sorted((t for t in world.board_threads(board.fid) if not t.pinned and not t.closed and t.answered
                       and t.last_post.dateline < settled), key=lambda t: t.tid)
    if answered:
        thread = rng.choice(answered)
        thread.moderate(True, world.clock)
        summary["closed"].append(thread.tid)


def _when(rng: random.Random) -> float:
    return rng.uniform(60, STEP.total_seconds() - 60)


def _new_threads(world: World, board: Board, rng: random.Random, summary: dict[str, Any]) -> list[Event]:
    events: list[Event] = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        author = rng.choice(world.citizens())
        if board.kind == "wenzheng":
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            subject, body, topic = content.complaint(rng, kind)
            typeid = next((k for k, name in board.types.items() if name == kind), None)
        else:
            (subject, body), topic, typeid = content.chat(rng), "", rng.choice([None, *board.types])
        starter = _starter(world, board, (author, subject, typeid, body, topic), rng.randint(1, 3), summary)
        events.append((_when(rng), len(events), starter))
    return events


def _starter(world: World, board: Board, fields: tuple[Any, str, int | None, str, str], gap: int,
             summary: dict[str, Any]) -> Callable[[datetime], None]:
    author, subject, typeid, body, topic = fields

    def apply(moment: datetime) -> None:
        thread = world.start_thread(board, author, subject, typeid, body, moment, gap, topic)
        summary["new_threads"].append(thread.tid)
        summary["new_pids"].append(thread.posts[0].pid)
    return apply


def _bumps(world: World, board: Board, rng: random.Random, pool: list[Thread],
           summary: dict[str, Any]) -> list[Event]:
    """Citizens reply to recent threads, and now and then dig up an old one."""
    open_pool = [t for t in pool if not t.closed]
    picks = rng.sample(open_pool, min(len(open_pool), rng.randint(1, 3)))
    older = [t for t in world.listing(board.fid)[len(pool):] if not t.pinned and not t.closed]
    if older and rng.random() < 0.3:
        picks.append(rng.choice(older))
    events: list[Event] = []
    for thread in picks:
        author = rng.choice(world.citizens())
        message = (content.follow_up(rng, thread.answered) if board.kind == "wenzheng"
                   else content.chat_reply(rng))
        events.append((_when(rng), 100 + len(events), _replier(world, thread, author, message, rng, summary)))
    return events


def _answers(world: World, board: Board, rng: random.Random, start: datetime,
             summary: dict[str, Any]) -> list[Event]:
    """Officials answer some 问政 threads that have waited at least half a day."""
    if board.kind != "wenzheng":
        return []
    waiting = sorted((t for t in world.board_threads(board.fid)
                      if not t.pinned and not t.moved_to and not t.answered and t.dateline < start - timedelta(hours=12)),
                     key=lambda t: t.tid)
    events: list[Event] = []
    for thread in rng.sample(waiting, min(len(waiting), rng.randint(0, 2))):
        account, unit = unit_for(world, thread.topic)
        summary["official_replies"].append(thread.tid)
        replier = _replier(world, thread, account, content.answer(rng, unit), rng, summary)
        events.append((_when(rng), 200 + len(events), replier))
    return events


def _replier(world: World, thread: Thread, author: Any, message: str, rng: random.Random,
             summary: dict[str, Any]) -> Callable[[datetime], None]:
    gap = rng.randint(1, 3)

    def apply(moment: datetime) -> None:
        post = world.reply(thread, author, message, moment, gap)
        summary["bumped"].append(thread.tid)
        summary["new_pids"].append(post.pid)
    return apply


def _maybe_lock(rng: random.Random, pool: list[Thread], summary: dict[str, Any]) -> None:
    """Once in a while a moderator hides a reply after publication."""
    candidates = [post for thread in pool for post in thread.shown[1:] if post.locked is None]
    if candidates and rng.random() < 0.1:
        post = rng.choice(candidates)
        post.locked = LOCK_SINGLE
        summary["locked"].append(post.pid)
