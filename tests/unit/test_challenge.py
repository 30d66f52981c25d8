"""Which pages a browser may pass (JavaScript cookie challenges: HTTP 521 or script interstitials) and which it
must never touch (captchas, login walls, plain block pages, data); the per-platform policy; the per-host steps."""

from __future__ import annotations

from datetime import datetime

import pytest

from harvester.challenge import (
    MAX_RETRIES_PER_REQUEST,
    Clearance,
    HostState,
    SolveScope,
    Step,
    next_step,
    solvable_challenge,
    solve_policy,
)
from harvester.config import ConfigError
from harvester.extract.snapshot import Snapshot
from harvester.timeutil import SHANGHAI
from replicas.discuz import waf
from replicas.jact import modes, pages
from replicas.jact.jsl import JslGate
from replicas.jact.world import World

FETCHED = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
UA = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0 Safari/537.36"


def page(html: str, status: int = 200) -> Snapshot:
    return Snapshot(url="http://127.0.0.1:8601/jact/front/mailpublist.do?sysid=6", status=status,
                    body=html.encode("utf-8"), fetched_at=FETCHED,
                    headers={"content-type": "text/html; charset=utf-8"})


def jsl_stages() -> tuple[str, str]:
    """The two 521 pages of the jact replica's 加速乐 gate: the obfuscated cookie, then the SHA-1 puzzle."""
    gate = JslGate(seed=7, ttl_s=3600, clock=lambda: 1_800_000_000.0)
    first = gate.answer({}, UA)
    assert first is not None and first.new_visitor is not None
    stage1_cookie = f"{1_800_000_000.0:.3f}|-1|{gate.stage1_tag(first.new_visitor, f'{1_800_000_000.0:.3f}')}"
    second = gate.answer({"__jsluid_s": first.new_visitor, "__jsl_clearance_s": stage1_cookie}, UA)
    assert second is not None and second.stage == 2
    return first.html, second.html


def test_both_jsl_stages_answered_with_521_are_solvable() -> None:
    stage1, stage2 = jsl_stages()
    assert "__jsl_clearance" not in stage1  # spelled out in pieces: recognised as a cookie-setting reload script
    for html in (stage1, stage2):
        block = solvable_challenge(page(html, status=521))
        assert block is not None and block.kind == "challenge"


@pytest.mark.parametrize("html", [modes.CHALLENGE, waf.CC_PAGE.format(path="/thread-1-1-1.html")],
                         ids=["jsl-answered-200", "yunsuo-cc"])
def test_a_script_interstitial_answered_with_200_is_solvable(html: str) -> None:
    assert solvable_challenge(page(html)) is not None


@pytest.mark.parametrize("mode", ["captcha", "login", "busy"])
def test_captcha_login_and_error_pages_are_never_solvable(mode: str) -> None:
    block = modes.block_page(mode, "utf-8")
    assert block is not None
    assert solvable_challenge(page(block[0])) is None
    assert solvable_challenge(page(block[0], status=521)) is None


@pytest.mark.parametrize("extra", ['<div id="geetest_captcha"></div><script src="/gt.js"></script>',
                                   '<form action="/login.do"><input name="u"><input type="password" name="p"></form>'],
                         ids=["captcha-widget", "login-form"])
def test_a_cookie_script_on_a_captcha_or_login_page_does_not_make_it_solvable(extra: str) -> None:
    html = f"<html><body>{extra}<script>document.cookie='__jsl_clearance_s=1';location.reload()</script></body></html>"
    assert solvable_challenge(page(html, status=521)) is None


def test_a_block_page_without_a_script_is_not_solvable() -> None:
    html = waf.BLOCK_PAGE.format(when="2026-11-20 09:00:00", event="abc123")
    assert solvable_challenge(page(html)) is None


def test_a_521_that_is_an_origin_error_rather_than_a_script_is_not_solvable() -> None:
    html = ("<html><head><title>127.0.0.1 | 521: Web server is down</title></head><body><h1>Web server is down"
            "</h1><p>Error code 521</p><p>访问过于频繁</p></body></html>")
    assert solvable_challenge(page(html, status=521)) is None


def test_a_page_of_data_and_other_statuses_are_not_solvable() -> None:
    world = World(seed=7, letters=20, new_per_step=0)
    listing = pages.list_page("utf-8", "6", world.newest_first(1, 15), len(world.letters), 1, 15)
    assert solvable_challenge(page(listing)) is None
    stage1, _ = jsl_stages()
    for status in (403, 503):
        assert solvable_challenge(page(stage1, status=status)) is None


# --- policy --------------------------------------------------------------------------------------------
def test_by_default_http_platforms_pass_521_challenges_and_browser_platforms_none() -> None:
    http = solve_policy({}, "http", "521", 5)
    assert (http.scope, http.max_solves) == (SolveScope.JSL, 5)
    assert http.scope.covers(521) and not http.scope.covers(200)
    assert solve_policy({}, "browser", "521", 5).scope is SolveScope.OFF


@pytest.mark.parametrize(("value", "scope"), [(True, SolveScope.ALL), (False, SolveScope.OFF), ("all", SolveScope.ALL),
                                              ("521", SolveScope.JSL), ("off", SolveScope.OFF)])
def test_a_platform_option_sets_the_scope(value: object, scope: SolveScope) -> None:
    policy = solve_policy({"solve_challenges": value, "challenge_max_solves": 2}, "http", "521", 5)
    assert (policy.scope, policy.max_solves) == (scope, 2)
    assert policy.scope.covers(200) == (scope is SolveScope.ALL)


@pytest.mark.parametrize("options", [{"solve_challenges": "yes"}, {"challenge_max_solves": -1},
                                     {"challenge_max_solves": "3"}])
def test_an_invalid_option_is_an_error_naming_it(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        solve_policy(options, "http", "521", 5)


# --- steps per host ------------------------------------------------------------------------------------
def test_one_solve_serves_every_request_sent_before_it_and_an_expired_clearance_is_solved_again() -> None:
    state = HostState()
    assert next_step(state, sent_generation=0, retries=0, max_solves=2)[0] is Step.SOLVE
    state.solves, state.generation = 1, 1
    state.clearance = Clearance(({"name": "__jsl_clearance_s", "value": "x", "path": "/"},), UA)
    assert next_step(state, sent_generation=0, retries=0, max_solves=2)[0] is Step.RETRY  # met it while solving
    assert next_step(state, sent_generation=1, retries=0, max_solves=2)[0] is Step.SOLVE  # clearance expired
    state.solves, state.generation = 2, 2
    step, why = next_step(state, sent_generation=2, retries=0, max_solves=2)
    assert step is Step.GIVE_UP and "2 browser solve(s) used" in why


def test_a_failed_solve_or_a_request_that_keeps_meeting_the_challenge_gives_up() -> None:
    assert next_step(HostState(failed="timeout"), 0, 0, 5)[0] is Step.GIVE_UP
    assert next_step(HostState(generation=3), 0, MAX_RETRIES_PER_REQUEST, 5)[0] is Step.GIVE_UP


@pytest.mark.parametrize("slug", ["discuz_demo", "people_demo", "hanweb_szxx", "jact_demo"])
def test_every_family_accepts_the_challenge_options_and_a_bad_value_names_the_file(slug: str) -> None:
    from dataclasses import replace

    from harvester.app.probe import definition_problem
    from harvester.definition import find_spec

    spec = find_spec(slug)
    allowed = replace(spec, options={**spec.options, "solve_challenges": False, "challenge_max_solves": 2})
    assert definition_problem(allowed) is None
    wrong = replace(spec, options={**spec.options, "solve_challenges": "sometimes"})
    problem = definition_problem(wrong) or ""
    assert spec.source in problem and "solve_challenges" in problem
