"""All messages of the replica's boards: deterministic generation from a seed, queries, and 4-hour steps."""

from __future__ import annotations

import bisect
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from replicas.people import messages as msg
from replicas.people.boards import Board
from replicas.people.messages import HANDLED, IN_PROGRESS, PENDING, STATES, Message, Reply

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(2026, 6, 6, 12, 0, tzinfo=SHANGHAI)  # tid ≈ 25,445,483 on this day in real data
HISTORY = timedelta(days=60)
STEP = timedelta(hours=4)
FIRST_TID = 25_400_000
FIRST_ANSWER_ID = 8_100_000
LATE_MIN = timedelta(hours=6)  # longer than any usual approval (15 min to 5 h)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class Lateness:
    """Which new messages wait for approval long after their tid was given (so newer tids are listed first):
    `share` of them, published 6 h to `max_hours` after posting. A pure function of (seed, tid), so it leaves
    every other random draw of the world as it was."""

    share: float = 0.0
    max_hours: float = 48.0

    def delay(self, seed: int, tid: int) -> int | None:
        """Seconds from posting to publication for a held message; None for one published as usual."""
        if self.share <= 0:
            return None
        rng = random.Random(f"people/{seed}/late/{tid}")
        if rng.random() >= self.share:
            return None
        return rng.randint(int(LATE_MIN.total_seconds()), int(max(LATE_MIN.total_seconds(), self.max_hours * 3600)))


class World:
    """Boards and messages in global tid order, the replica clock, and the id counters."""

    def __init__(self, seed: int, boards: list[Board], per_board: int,
                 lateness: Lateness = Lateness()) -> None:
        self.seed = seed
        self.lateness = lateness
        self.held: dict[int, Message] = {}  # posted, not yet published
        self.boards = {board.fid: board for board in boards}
        self.messages: list[Message] = []
        self.by_tid: dict[int, Message] = {}
        self.by_fid: dict[int, list[Message]] = {board.fid: [] for board in boards}
        self._fid_tids: dict[int, list[int]] = {board.fid: [] for board in boards}  # for bisecting cursors
        self.clock = EPOCH
        self.step_no = 0
        self._wall_mark = time.monotonic()
        self._next_tid = FIRST_TID
        self._next_answer = FIRST_ANSWER_ID
        self._build(random.Random(f"people/{seed}/build"), per_board)

    def now(self) -> int:
        """The site's now (unix seconds): the replica clock plus wall time since the last advance."""
        return unix(self.clock) + int(time.monotonic() - self._wall_mark)

    # -- generation -----------------------------------------------------------------------------

    def _add(self, rng: random.Random, board: Board, posted: int) -> Message:
        # tids are global across thousands of real boards, so each board sees gaps.
        self._next_tid += rng.randint(15, 140)
        message = msg.new_message(rng, self._next_tid, board, posted)
        delay = self.lateness.delay(self.seed, message.tid)
        if delay is None:
            message.check_time = min(message.check_time, max(posted, self.now()))
        else:
            message.check_time = posted + delay
            message.published = message.check_time <= unix(self.clock)
            if not message.published:
                self.held[message.tid] = message
        self.messages.append(message)
        self.by_tid[message.tid] = message
        self.by_fid[board.fid].append(message)
        self._fid_tids[board.fid].append(message.tid)
        return message

    def _answer_id(self) -> int:
        self._next_answer += 1
        return self._next_answer

    def _build(self, rng: random.Random, per_board: int) -> None:
        span, start = int(HISTORY.total_seconds()), unix(EPOCH - HISTORY)
        arrivals = sorted((rng.randrange(span), fid) for fid in self.boards for _ in range(per_board))
        for offset, fid in arrivals:
            message = self._add(rng, self.boards[fid], start + offset)
            if message.published:  # one still awaiting approval has not been handled either
                self._age(message, rng)

    def _age(self, message: Message, rng: random.Random) -> None:
        """Give a generated message the state its age suggests: older ones are mostly handled."""
        age_days = (unix(self.clock) - message.dateline) / 86400
        weights = (80, 20, 0) if age_days < 1 else (30, 40, 30) if age_days < 7 else (8, 10, 82)
        state = rng.choices(STATES, weights)[0]
        message.fav = int(age_days * rng.uniform(0, 0.5))
        if state == PENDING:
            return
        msg.assign(message)
        if state != HANDLED:
            return
        replied = message.dateline + int(rng.uniform(0.3, 0.9) * (unix(self.clock) - message.dateline))
        if rng.random() < 0.15:
            msg.answer(message, rng, self._answer_id(), (message.dateline + replied) // 2, interim=True)
        msg.answer(message, rng, self._answer_id(), replied)
        if message.grade_due is not None and message.grade_due <= unix(self.clock):
            msg.grade(message, rng)

    # -- time moving on -------------------------------------------------------------------------

    def advance(self, steps: int) -> dict[str, Any]:
        """Run `steps` 4-hour steps; each is a pure function of (seed, step number, current state). `new`: posted
        and listed; `held`: posted but awaiting approval; `published`: held earlier, listed now (late)."""
        summary: dict[str, list[int]] = {"new": [], "held": [], "published": [], "assigned": [], "replied": [],
                                         "graded": []}
        for _ in range(steps):
            self._step(summary)
        return {**summary, "clock": self.clock.isoformat()}

    def _step(self, summary: dict[str, list[int]]) -> None:
        self.step_no += 1
        rng = random.Random(f"people/{self.seed}/step/{self.step_no}")
        start = unix(self.clock)
        self.clock += STEP
        self._wall_mark = time.monotonic()
        seconds = int(STEP.total_seconds())
        summary["published"] += self._publish([m for m in self.held.values() if m.check_time <= unix(self.clock)])
        for message in self.messages:
            if message.published:
                self._move(message, rng, start + rng.randrange(60, seconds), summary)
        arrivals = sorted((rng.randrange(1, seconds), fid) for fid in self.boards
                          for _ in range(rng.choices((0, 1, 2), weights=(35, 45, 20))[0]))
        for offset, fid in arrivals:
            message = self._add(rng, self.boards[fid], start + offset)
            summary["new" if message.published else "held"].append(message.tid)

    def _publish(self, messages: list[Message]) -> list[int]:
        for message in messages:
            message.published = True
            del self.held[message.tid]
        return sorted(message.tid for message in messages)

    def publish_now(self, tids: Iterable[int] | None = None) -> list[int]:
        """Approve held messages (all, or those of `tids`) at the site's now, ahead of their time."""
        chosen = [self.held[tid] for tid in (self.held if tids is None else tids) if tid in self.held]
        for message in chosen:
            message.check_time = max(self.now(), message.dateline)
        return self._publish(chosen)

    def _move(self, message: Message, rng: random.Random, at: int, summary: dict[str, list[int]]) -> None:
        chance = rng.random()
        if message.state == PENDING and chance < 0.3:
            msg.assign(message)
            summary["assigned"].append(message.tid)
        elif message.state == IN_PROGRESS and chance < 0.2:
            msg.answer(message, rng, self._answer_id(), max(at, message.dateline + 60))
            summary["replied"].append(message.tid)
        elif message.grade_due is not None and message.grade_due <= unix(self.clock):
            msg.grade(message, rng)
            summary["graded"].append(message.tid)

    def post_reply(self, message: Message, organization: str, content: str) -> Reply:
        """A reply written in the back office: dated now, and the message becomes 已办理."""
        reply = Reply(self._answer_id(), organization, content, max(self.now(), message.dateline + 1))
        message.replies.append(reply)
        message.state = HANDLED
        if message.grade_due is None and message.grade_manner is None:
            rng = random.Random(f"people/{self.seed}/grade/{reply.answer_id}")
            message.grade_due = reply.dateline + rng.randint(4 * 3600, 72 * 3600) if rng.random() < 0.5 else None
        return reply

    # -- queries --------------------------------------------------------------------------------

    def page(self, fid: int, before: int | None, rows: int,
             keep: Callable[[Message], bool] = lambda _: True) -> tuple[list[Message], bool]:
        """Up to `rows` published messages of board `fid` older than tid `before` (None = newest), newest first
        (by tid, whenever they were published), and whether older matching messages remain."""
        board = self.by_fid.get(fid, [])
        end = len(board) if before is None else bisect.bisect_left(self._fid_tids.get(fid, []), before)
        found: list[Message] = []
        for index in range(end - 1, -1, -1):
            if board[index].published and keep(board[index]):
                if len(found) == rows:
                    return found, True
                found.append(board[index])
        return found, False

    def stats(self) -> dict[str, Any]:
        boards = {}
        for fid, items in self.by_fid.items():
            states = Counter(message.state for message in items)
            boards[str(fid)] = {"name": self.boards[fid].name, "total": len(items),
                                **{state: states[state] for state in STATES}}
        return {"messages": len(self.messages), "held": len(self.held), "boards": boards,
                "clock": self.clock.isoformat(),
                "graded": sum(message.grade_manner is not None for message in self.messages)}
