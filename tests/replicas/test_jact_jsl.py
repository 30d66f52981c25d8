"""The jact replica's 加速乐 gate: solvable by doing what its scripts do, bound to the visitor cookie and the
User-Agent, and only for `ttl_s` seconds; a crawler that runs no script never gets the page."""

from __future__ import annotations

import hashlib
import json
import re

from replicas.jact.jsl import JslGate

UA = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0 Safari/537.36"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def solve(gate: JslGate, clock: Clock, user_agent: str = UA) -> dict[str, str]:
    """Play the browser: take the visitor cookie, set stage 1's cookie, brute-force stage 2's puzzle."""
    first = gate.answer({}, user_agent)
    assert first is not None and first.stage == 1 and first.new_visitor
    issued = f"{clock():.3f}"
    cookies = {"__jsluid_s": first.new_visitor,
               "__jsl_clearance_s": f"{issued}|-1|{gate.stage1_tag(first.new_visitor, issued)}"}
    second = gate.answer(cookies, user_agent)
    assert second is not None and second.stage == 2 and second.new_visitor is None
    config = json.loads(re.search(r"go\((\{.*?\})\)", second.html).group(1))  # type: ignore[union-attr]
    head, tail = config["bts"]
    found = [head + a + b + tail for a in config["chars"] for b in config["chars"]
             if hashlib.sha1((head + a + b + tail).encode()).hexdigest() == config["ct"]]
    assert len(found) == 1 and config["tn"] == "__jsl_clearance_s"
    return {**cookies, "__jsl_clearance_s": found[0]}


def test_a_solved_clearance_opens_the_site_for_that_user_agent_only() -> None:
    clock = Clock()
    gate = JslGate(seed=7, ttl_s=60, clock=clock)
    cookies = solve(gate, clock)
    assert gate.answer(cookies, UA) is None
    assert gate.answer(cookies, UA) is None
    other_agent = gate.answer(cookies, "python-requests/2.32")
    assert other_agent is not None and other_agent.stage == 1
    forged = gate.answer({**cookies, "__jsl_clearance_s": cookies["__jsl_clearance_s"][:-1] + "A"}, UA)
    assert forged is not None and forged.stage == 1
    stats = gate.stats()
    assert (stats["challenges_solved"], stats["passed"], stats["rejected"]) == (1, 2, 2)
    assert stats["challenges_served"] == stats["stage1_served"] + stats["stage2_served"] == 4


def test_a_clearance_expires_after_ttl_and_a_new_solve_works() -> None:
    clock = Clock()
    gate = JslGate(seed=7, ttl_s=60, clock=clock)
    cookies = solve(gate, clock)
    clock.now += 59
    assert gate.answer(cookies, UA) is None
    clock.now += 2
    expired = gate.answer(cookies, UA)
    assert expired is not None and expired.stage == 1 and gate.stats()["expired"] == 1
    assert gate.answer(solve(gate, clock), UA) is None
    assert gate.stats()["challenges_solved"] == 2


def test_a_crawler_that_only_keeps_cookies_never_gets_through() -> None:
    gate = JslGate(seed=7, ttl_s=60, clock=Clock())
    first = gate.answer({}, UA)
    assert first is not None
    again = gate.answer({"__jsluid_s": first.new_visitor or ""}, UA)
    assert again is not None and again.stage == 1 and again.new_visitor is None  # same visitor, still stage 1
    assert gate.answer({"__jsluid_s": "0" * 32}, UA).new_visitor is not None  # type: ignore[union-attr]


def test_the_gate_is_deterministic_from_the_seed() -> None:
    first, second = (JslGate(seed=7, ttl_s=60, clock=Clock()).answer({}, UA) for _ in range(2))
    assert first == second
    assert JslGate(seed=8, ttl_s=60, clock=Clock()).answer({}, UA) != first
