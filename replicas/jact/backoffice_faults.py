"""Failures the jact back office can be armed with for the next reply POSTs, before or after it stores the reply."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

# "expire" (the session times out while the form is on its way) and "429" (the rate limit turns the POST away)
# can only happen before the reply is stored. "hold" keeps the answer back `hold_s` seconds (or until the faults
# are disarmed), then the gateway gives up with a 504: before the store nothing is stored, after it the reply is.
FAULT_KINDS = {"before_store": ("502", "503", "429", "close", "expire", "hold"),
               "after_store": ("502", "503", "close", "hold")}
RETRY_AFTER_S = 30
HOLD_S = 60.0


@dataclass(frozen=True)
class Fault:
    """One armed failure: its kind, how long a "hold" keeps the answer back, the Retry-After of a 429/503."""

    kind: str
    hold_s: float = HOLD_S
    retry_after_s: int = RETRY_AFTER_S


class Faults:
    """Failures armed by tests for the next reply POSTs, before or after the reply is stored.

    `arm({"before_store"|"after_store": kind, "count": n, "hold_s": s, "retry_after": s})` arms the next n POSTs
    of that stage; `arm({"disarm": true})` drops every armed fault and lets held answers go at once.
    """

    def __init__(self) -> None:
        self.pending: dict[str, list[Fault]] = {"before_store": [], "after_store": []}
        self._released = asyncio.Event()

    @property
    def armed(self) -> dict[str, list[str]]:
        return {stage: [fault.kind for fault in faults] for stage, faults in self.pending.items()}

    def arm(self, payload: dict[str, Any]) -> dict[str, list[str]]:
        if payload.get("disarm"):
            self.disarm()
        count = int(payload.get("count", 1))
        hold_s = float(payload.get("hold_s", HOLD_S))
        retry_after_s = int(payload.get("retry_after", RETRY_AFTER_S))
        for stage in self.pending:
            kind = str(payload.get(stage, ""))
            if kind and kind not in FAULT_KINDS[stage]:
                raise ValueError(f"unknown {stage} fault {kind!r}; known: {FAULT_KINDS[stage]}")
            if kind:
                self.pending[stage] = [Fault(kind, hold_s, retry_after_s)] * count
        return self.armed

    def disarm(self) -> None:
        for faults in self.pending.values():
            faults.clear()
        self._released.set()  # every answer held now goes out
        self._released = asyncio.Event()

    def take(self, stage: str) -> Fault | None:
        return self.pending[stage].pop(0) if self.pending[stage] else None

    async def hold(self, seconds: float) -> None:
        """Keep an answer back `seconds`, or until the faults are disarmed."""
        try:
            await asyncio.wait_for(self._released.wait(), seconds)
        except TimeoutError:
            pass
