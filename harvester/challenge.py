"""JavaScript cookie challenges a browser may pass (知道创宇 加速乐 and look-alikes): which pages are one, whether a
platform wants them passed, and the per-host bookkeeping that keeps solves few (pure: no browser, no Scrapy).

A solvable challenge is a page `detect_soft_block` calls a challenge that sets a cookie by script, answered with
HTTP 521 (加速乐's status for "run this script first") or HTTP 200. Captcha and login pages never are, whatever
scripts they carry: those need a person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from harvester.config import ConfigError
from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import WIDGETS, SoftBlock, detect_soft_block

JSL_STATUS = 521  # 加速乐 answers every challenge stage with it; Cloudflare uses it for "origin down" (no script)
CHALLENGE_STATUSES = (200, JSL_STATUS)
# How a challenge sets its cookie: plainly, through an obfuscated property name, or by 加速乐's go({"tn": …}).
_COOKIE_SCRIPT = re.compile(r"""document\s*\.\s*cookie\s*=|document\s*\[[^\]]{1,80}\]\s*=|"tn"\s*:\s*"__jsl_""")
_SCRIPT = re.compile(r"<script", re.IGNORECASE)
_PASSWORD = re.compile(r"""<input[^>]+type\s*=\s*["']?password""", re.IGNORECASE)
# A retried request that meets a challenge again this many times is handed to the spider as a soft block.
MAX_RETRIES_PER_REQUEST = 3


def solvable_challenge(snapshot: Snapshot) -> SoftBlock | None:
    """The challenge this page is, if a browser running its script could get past it; else None."""
    if snapshot.status not in CHALLENGE_STATUSES:
        return None
    block = detect_soft_block(snapshot)
    if block is None or block.kind != "challenge":
        return None
    markup = snapshot.text
    if not _SCRIPT.search(markup) or not _COOKIE_SCRIPT.search(markup):
        return None  # wording alone ("访问过于频繁"): nothing a browser could run
    if WIDGETS.search(markup) or _PASSWORD.search(markup):
        return None  # a captcha or a login form: never solved by us
    return block


# The platform options every family accepts for it (read by the challenge middleware, not by the spiders).
CHALLENGE_OPTIONS = frozenset({"solve_challenges", "challenge_max_solves"})


class SolveScope(StrEnum):
    """Which challenges a platform's crawl passes with a browser (`options.solve_challenges`)."""

    OFF = "off"  # none: every challenge page is a soft block (the run fails as blocked)
    JSL = "521"  # HTTP 521 challenges only (加速乐): never data, served to every new visitor
    ALL = "all"  # also HTTP 200 script challenges (云锁-style CC interstitials, which mean "slow down")

    def covers(self, status: int) -> bool:
        return self is SolveScope.ALL or (self is SolveScope.JSL and status == JSL_STATUS)


@dataclass(frozen=True, slots=True)
class SolvePolicy:
    """A platform's challenge settings: scope and the most browser solves per host in one run."""

    scope: SolveScope
    max_solves: int


def solve_policy(options: Mapping[str, Any], fetch: str, default_scope: str, default_max: int) -> SolvePolicy:
    """Read `solve_challenges` (true = "all", false = "off", "521", "all") and `challenge_max_solves` from a
    platform's options. Unset: `default_scope` for HTTP platforms, off for browser-fetched ones (their pages
    already run in Chromium)."""
    raw = options.get("solve_challenges")
    if raw is None:
        raw = default_scope if fetch == "http" else SolveScope.OFF
    elif isinstance(raw, bool):
        raw = SolveScope.ALL if raw else SolveScope.OFF
    try:
        scope = SolveScope(str(raw))
    except ValueError as error:
        known = [s.value for s in SolveScope]
        raise ConfigError(f"options.solve_challenges must be true, false or one of {known}, got {raw!r}") from error
    max_solves = options.get("challenge_max_solves", default_max)
    if isinstance(max_solves, bool) or not isinstance(max_solves, int) or max_solves < 0:
        raise ConfigError(f"options.challenge_max_solves must be a whole number >= 0, got {max_solves!r}")
    return SolvePolicy(scope, max_solves)


@dataclass(frozen=True, slots=True)
class Clearance:
    """What a browser that passed a challenge holds for the host: its cookies (name, value, path, secure)
    and its User-Agent, which the clearance may be bound to."""

    cookies: tuple[Mapping[str, Any], ...]
    user_agent: str


@dataclass(slots=True)
class HostState:
    """One host's solves this run. `generation` counts successful solves; a request remembers the generation it
    was sent under, so a challenge met by a request sent before the latest solve is just retried."""

    generation: int = 0
    solves: int = 0
    failed: str | None = None  # why the last solve failed: no more attempts this run
    clearance: Clearance | None = None
    unsent: bool = False  # the clearance's cookies have not yet gone out with a request (into the cookie jar)
    exhausted_logged: bool = False


class Step(StrEnum):
    RETRY = "retry"  # a solve happened since the request was sent: send it again with the new clearance
    SOLVE = "solve"  # open the page in the browser
    GIVE_UP = "give_up"  # hand the page to the spider: a soft block


def next_step(state: HostState, sent_generation: int, retries: int, max_solves: int) -> tuple[Step, str]:
    """What to do with a challenge met by a request sent under `sent_generation` and retried `retries` times."""
    if retries >= MAX_RETRIES_PER_REQUEST:
        return Step.GIVE_UP, f"still a challenge after {retries} retries with a fresh clearance"
    if state.failed is not None:
        return Step.GIVE_UP, f"the browser could not pass it: {state.failed}"
    if state.generation > sent_generation:
        return Step.RETRY, "solved since the request was sent"
    if state.solves >= max_solves:
        return Step.GIVE_UP, f"{state.solves} browser solve(s) used, at most {max_solves} per host and run"
    return Step.SOLVE, "no valid clearance"
