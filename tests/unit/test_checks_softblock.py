"""Soft blocks: HTTP 200 pages that are challenge, captcha, login or error pages are recognised; data is not."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from harvester.extract.snapshot import Snapshot
from harvester.extract.softblock import detect_soft_block
from harvester.fixtures import all_cases
from harvester.timeutil import SHANGHAI
from replicas.jact import modes, pages
from replicas.jact.world import World

FETCHED = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
# Recorded pages of data (other families also record block pages on purpose).
CASES = [case for case in all_cases(Path(__file__).resolve().parents[1] / "fixtures")
         if case.family in ("jact", "discuz")]


def page(html: str, charset: str = "utf-8", **headers: str) -> Snapshot:
    return Snapshot(url="http://127.0.0.1:8601/jact/front/mailpublist.do?sysid=6", status=200,
                    body=html.encode(charset), fetched_at=FETCHED,
                    headers={"content-type": f"text/html; charset={charset}", **headers})


def test_a_cookie_challenge_script_is_a_challenge_before_any_parsing() -> None:
    block = detect_soft_block(page(modes.CHALLENGE))
    assert block is not None and block.kind == "challenge"
    assert block.describe().startswith("soft block: challenge page")


@pytest.mark.parametrize("signature", [
    "var __jsl_clearance_s = 1;", "yunsuo_session_verify", "security_session_verify=1",
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1">', "window._cf_chl_opt={};",
    '<div class="cf-chl-widget">', "WZWS_CONFIRM_PREFIX_LABEL1", "WzwsChallenge()", "location='//WAF.SafeDog.cn/'",
    "var _WAF_VERIFY = 1;"])  # every marker of every WAF, in the case variants the patterns accept
def test_waf_fingerprints_count_even_inside_a_long_page(signature: str) -> None:
    html = f"<html><body><p>{'正文' * 1000}</p><script>{signature}</script></body></html>"
    assert detect_soft_block(page(html)) == detect_soft_block(page(html), unparsed=True)
    assert detect_soft_block(page(html)).kind == "challenge"  # type: ignore[union-attr]


@pytest.mark.parametrize(("mode", "kind"), [("captcha", "captcha"), ("login", "login"), ("busy", "error")])
def test_wording_decides_for_a_page_that_did_not_parse(mode: str, kind: str) -> None:
    html, _ = modes.block_page(mode, "gbk")  # type: ignore[misc]
    snapshot = page(html, "gbk")
    block = detect_soft_block(snapshot, unparsed=True)
    assert block is not None and block.kind == kind
    assert detect_soft_block(snapshot) is None  # wording alone never stops a page from being parsed


def test_a_letter_about_captchas_and_busy_hotlines_is_still_a_letter() -> None:
    letter = World(7, 5, 1).letters[0]
    letter = replace(letter, title="注册时收不到验证码", body="请登录后也无法办理，热线总是系统繁忙，请稍后再试。")
    snapshot = page(pages.detail_page("utf-8", "6", letter))
    assert detect_soft_block(snapshot) is None


def test_an_emptied_board_is_not_a_soft_block() -> None:
    snapshot = page(pages.list_page("utf-8", "6", [], 0, 1, 15))
    assert detect_soft_block(snapshot, unparsed=True) is None


def test_a_captcha_widget_on_a_page_of_data_does_not_block_it() -> None:
    html = pages.list_page("utf-8", "6", World(7, 20, 1).letters[:15], 20, 1, 15)
    html = html.replace("</body>", '<script src="https://static.geetest.com/v4/gt4.js"></script></body>')
    assert detect_soft_block(page(html)) is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.slug}/{c.name}")
def test_no_recorded_page_is_mistaken_for_a_soft_block(case) -> None:  # type: ignore[no-untyped-def]
    assert detect_soft_block(case.snapshot) is None
    assert detect_soft_block(case.snapshot, unparsed=True) is None
