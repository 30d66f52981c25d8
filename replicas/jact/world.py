"""The mailbox's letters: deterministic generation from a seed, and its 4-hour steps forward."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from replicas.jact.letters import (
    CLOSED,
    IN_PROGRESS,
    PENDING,
    REPLIED,
    STATUSES,
    Letter,
    assign,
    close,
    new_letter,
    reply,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
HISTORY = timedelta(days=60)
STEP = timedelta(hours=4)
FIRST_ID = 48000
PUBLIC_SHARE = 0.92


class World:
    """All letters in transactId order, the replica clock, and the per-day letter-number counters."""

    def __init__(self, seed: int, letters: int, new_per_step: int) -> None:
        self.seed = seed
        self.new_per_step = new_per_step
        self.clock = EPOCH
        self.step_no = 0
        self.letters: list[Letter] = []
        self.by_id: dict[int, Letter] = {}
        self._next_id = FIRST_ID
        self._daily: Counter[date] = Counter()
        self._build(random.Random(seed), letters)

    # -- generation -----------------------------------------------------------------------------

    def _add(self, rng: random.Random, posted_at: datetime, public_share: float) -> Letter:
        self._next_id += rng.randint(1, 3)  # gaps: ids are shared with other columns of the system
        day = posted_at.date()
        self._daily[day] += 1
        letter_no = f"XF{day:%Y%m%d}-{self._daily[day]:04d}"
        letter = new_letter(rng, self._next_id, letter_no, posted_at, public_share)
        self.letters.append(letter)
        self.by_id[letter.transact_id] = letter
        return letter

    def _build(self, rng: random.Random, count: int) -> None:
        span = int(HISTORY.total_seconds())
        for offset in sorted(rng.randrange(span) for _ in range(count)):
            letter = self._add(rng, EPOCH - HISTORY + timedelta(seconds=offset), PUBLIC_SHARE)
            self._age(letter, rng, (EPOCH - letter.posted_at) / timedelta(days=1))

    def _age(self, letter: Letter, rng: random.Random, age_days: float) -> None:
        """Give an initial letter the status its age suggests: older ones are mostly answered."""
        if age_days < 1:
            weights = (75, 25, 0, 0)
        elif age_days < 5:
            weights = (20, 40, 30, 10)
        else:
            weights = (0, 8, 37, 55)
        status = rng.choices(STATUSES, weights)[0]
        letter.views += int(age_days * rng.uniform(3, 12))
        if status == PENDING:
            return
        assign(letter, rng)
        if status in (REPLIED, CLOSED):
            delay_hours = rng.uniform(6, max(6.0, min(age_days * 24 * 0.9, 360)))
            reply(letter, rng, letter.posted_at + timedelta(hours=delay_hours))
        if status == CLOSED:
            close(letter, rng)

    # -- time moving on -------------------------------------------------------------------------

    def advance(self, steps: int) -> dict[str, Any]:
        """Run `steps` 4-hour steps; each is a pure function of (seed, step number, current state)."""
        summary: dict[str, Any] = {"new": [], "status_changed": [], "replied": [], "hidden": []}
        for _ in range(steps):
            self._step(summary)
        summary = {key: list(dict.fromkeys(ids)) for key, ids in summary.items()}  # a letter may move twice
        summary["clock"] = self.clock.isoformat()
        return summary

    def _step(self, summary: dict[str, Any]) -> None:
        self.step_no += 1
        rng = random.Random(f"jact/{self.seed}/{self.step_no}")
        start, self.clock = self.clock, self.clock + STEP
        for letter in self.letters:
            self._move(letter, rng, start, summary)
        public = [letter for letter in self.letters if letter.public]
        if public and rng.random() < 1 / 3:
            hidden = rng.choice(public)
            hidden.public = False  # withdrawn after publication: list loses the link, detail redirects
            summary["hidden"].append(hidden.transact_id)
        seconds = int(STEP.total_seconds())
        for offset in sorted(rng.randrange(1, seconds) for _ in range(self.new_per_step)):
            letter = self._add(rng, start + timedelta(seconds=offset), PUBLIC_SHARE)
            summary["new"].append(letter.transact_id)

    @staticmethod
    def _move(letter: Letter, rng: random.Random, start: datetime, summary: dict[str, Any]) -> None:
        if letter.status == CLOSED:
            return
        chance = rng.random()
        if letter.status == PENDING and chance < 0.35:
            assign(letter, rng)
        elif letter.status == IN_PROGRESS and chance < 0.30:
            reply(letter, rng, start + timedelta(seconds=rng.randrange(60, int(STEP.total_seconds()))))
            summary["replied"].append(letter.transact_id)
        elif letter.status == REPLIED and chance < 0.20:
            close(letter, rng)
        else:
            return
        letter.views += rng.randint(1, 15)
        summary["status_changed"].append(letter.transact_id)

    # -- queries --------------------------------------------------------------------------------

    def newest_first(self, page: int, per_page: int) -> list[Letter]:
        """Letters of list page `page` (1-based), newest transactId first; empty beyond the end."""
        end = len(self.letters) - (page - 1) * per_page
        if page < 1 or end <= 0:
            return []
        return self.letters[max(0, end - per_page):end][::-1]

    def newest_range(self, start: int, end: int) -> list[Letter]:
        """Records `start`..`end` (1-based, inclusive) counted from the newest transactId; empty beyond the end."""
        if start < 1 or end < start:
            return []
        newest = len(self.letters) - start + 1
        return self.letters[max(0, len(self.letters) - end):max(0, newest)][::-1]

    def stats(self) -> dict[str, Any]:
        by_status = Counter(letter.status for letter in self.letters)
        return {"letters": len(self.letters), "public": sum(letter.public for letter in self.letters),
                "by_status": {status: by_status[status] for status in STATUSES},
                "clock": self.clock.isoformat()}
