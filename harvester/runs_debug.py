"""Debug setting for crash-point sweeps: HARVESTER_DEBUG_CRASH_AT kills the process at a named write boundary.

Never set in production. `HARVESTER_DEBUG_CRASH_AT=<point>[@<n>]` makes the process SIGKILL itself the n-th
time (1-based, default 1) it reaches `<point>`, after writing one line naming it to stderr; unset, every
`crash_point` call returns at once. Tests and `bench/crash_sweep.py` use it to stop a harvest or a push at each
boundary in turn and check that the rerun is exact (docs/testing.md).
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter

SETTING = "HARVESTER_DEBUG_CRASH_AT"
CRASHED = "harvester debug: crashing at"  # the stderr line's prefix, for harnesses

# Where a harvest or a push may be stopped, in the order a run reaches them.
HARVEST_POINTS = {
    "harvest.run_started": "the run record is committed, nothing harvested yet",
    "harvest.flush_due": "a batch is full, its write not started",
    "harvest.cursor_buffered": "a board cursor arrived, the messages before it not yet written",
    "harvest.in_transaction": "a batch is written inside its transaction, not committed",
    "harvest.committed": "a batch is committed, the sink's buffer and counts not yet updated",
    "harvest.before_run_record": "the final write is done, the run's outcome not recorded",
}
PUSH_POINTS = {
    "push.claimed": "a reply is claimed (sending, committed), no attempt counted",
    "push.attempt_counted": "the attempt is counted and must_look set, the post not yet sent",
    "push.answered": "the platform answered the post, the store has not recorded it",
}
POINTS = {**HARVEST_POINTS, **PUSH_POINTS}

_reached: Counter[str] = Counter()


def armed() -> tuple[str, int] | None:
    """The point and occurrence named by HARVESTER_DEBUG_CRASH_AT, or None. An unknown point raises."""
    value = os.environ.get(SETTING, "").strip()
    if not value:
        return None
    name, _, nth = value.partition("@")
    if name not in POINTS:
        raise ValueError(f"{SETTING}={value!r}: unknown crash point; known: {', '.join(POINTS)}")
    return name, int(nth or 1)


def crash_point(name: str) -> None:
    """SIGKILL this process if HARVESTER_DEBUG_CRASH_AT names `name` and this is its n-th arrival here."""
    assert name in POINTS, name
    target = armed()
    if target is None or target[0] != name:
        return
    _reached[name] += 1
    if _reached[name] == target[1]:
        os.write(sys.stderr.fileno(), f"{CRASHED} {name}@{target[1]}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
