"""The letters of one mailbox: deterministic generation from (name, seed) and its 4-hour steps forward."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from replicas.mailboxes.letters import (
    CLOSED,
    IN_PROGRESS,
    PENDING,
    REPLIED,
    STAGES,
    Letter,
    Profile,
    assign,
    close,
    new_letter,
    reply,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
HISTORY = timedelta(days=60)
STEP = timedelta(hours=4)
FIRST_SERIAL = 610000


class World:
    """All letters oldest first, the replica clock, and the per-day letter-number counters."""

    def __init__(self, name: str, seed: int, profile: Profile, letters: int, new_per_step: int) -> None:
        self.key = f"{name}/{seed}"  # two sites built from one seed still differ
        self.profile = profile
        self.new_per_step = new_per_step
        self.clock = EPOCH
        self.step_no = 0
        self.letters: list[Letter] = []
        self._serial = FIRST_SERIAL
        self._daily: Counter[date] = Counter()
        self._build(random.Random(self.key), letters)

    # -- generation -----------------------------------------------------------------------------

    def _add(self, rng: random.Random, posted_at: datetime) -> Letter:
        self._serial += rng.randint(1, 4)
        day = posted_at.date()
        self._daily[day] += rng.randint(1, 25)  # the city numbers letters of every channel in one sequence
        letter = new_letter(rng, self.profile, self._serial, self._daily[day], posted_at)
        self.letters.append(letter)
        return letter

    def _build(self, rng: random.Random, count: int) -> None:
        span = int(HISTORY.total_seconds())
        for offset in sorted(rng.randrange(span) for _ in range(count)):
            letter = self._add(rng, EPOCH - HISTORY + timedelta(seconds=offset))
            self._age(letter, rng, (EPOCH - letter.posted_at) / timedelta(days=1))

    def _age(self, letter: Letter, rng: random.Random, age_days: float) -> None:
        """Give an initial letter the stage its age suggests: older ones are mostly answered."""
        if age_days < 1:
            weights = (75, 25, 0, 0)
        elif age_days < 5:
            weights = (20, 40, 30, 10)
        else:
            weights = (0, 8, 37, 55)
        stage = rng.choices(STAGES, weights)[0]
        letter.views += int(age_days * rng.uniform(3, 12))
        if stage == PENDING:
            return
        assign(letter, rng, self.profile)
        if stage in (REPLIED, CLOSED):
            # Up to 15 days: some replies come after the 7-day deadline (Tianjin's 是否超时 = 是).
            delay_hours = rng.uniform(6, max(6.0, min(age_days * 24 * 0.9, 360)))
            reply(letter, rng, self.profile, letter.posted_at + timedelta(hours=delay_hours))
        if stage == CLOSED:
            close(letter, rng)

    # -- time moving on -------------------------------------------------------------------------

    def advance(self, steps: int) -> dict[str, list[Letter]]:
        """Run `steps` 4-hour steps; each is a pure function of (name, seed, step number, current state)."""
        summary: dict[str, list[Letter]] = {"new": [], "status_changed": [], "replied": []}
        for _ in range(steps):
            self._step(summary)
        return {key: list({id(x): x for x in found}.values()) for key, found in summary.items()}

    def _step(self, summary: dict[str, list[Letter]]) -> None:
        self.step_no += 1
        rng = random.Random(f"{self.key}/{self.step_no}")
        start, self.clock = self.clock, self.clock + STEP
        for letter in self.letters:
            self._move(letter, rng, start, summary)
        seconds = int(STEP.total_seconds())
        for offset in sorted(rng.randrange(1, seconds) for _ in range(self.new_per_step)):
            summary["new"].append(self._add(rng, start + timedelta(seconds=offset)))

    def _move(self, letter: Letter, rng: random.Random, start: datetime, summary: dict[str, list[Letter]]) -> None:
        if letter.stage == CLOSED:
            return
        chance = rng.random()
        if letter.stage == PENDING and chance < 0.35:
            assign(letter, rng, self.profile)
        elif letter.stage == IN_PROGRESS and chance < 0.30:
            reply(letter, rng, self.profile, start + timedelta(seconds=rng.randrange(60, int(STEP.total_seconds()))))
            summary["replied"].append(letter)
        elif letter.stage == REPLIED and chance < 0.20:
            close(letter, rng)
        else:
            return
        letter.views += rng.randint(1, 15)
        summary["status_changed"].append(letter)

    # -- queries --------------------------------------------------------------------------------

    def newest_first(self, public_only: bool = False) -> list[Letter]:
        """Letters newest first (the order every list shows), optionally only the public ones."""
        return [x for x in reversed(self.letters) if x.public or not public_only]

    def stats(self) -> dict[str, Any]:
        by_stage = Counter(letter.stage for letter in self.letters)
        return {"letters": len(self.letters), "public": sum(letter.public for letter in self.letters),
                "by_stage": {stage: by_stage[stage] for stage in STAGES}, "clock": self.clock.isoformat()}
