"""The jact back office over plain HTTP (urllib with a cookie jar): TOTP login, list API, replies, faults."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from parsel import Selector

from tests.replicahost import control, replica_process

LOGIN, INDEX, REPLY = "/jact/admin/login.do", "/jact/admin/index.do", "/jact/admin/reply.do"
API = "/jact/admin/api/letters"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Desk:
    """One browser-less client of the back office: its own cookie jar, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def call(self, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode("utf-8")

    def login(self, account: dict[str, str], code: str | None = None,
              password: str | None = None) -> tuple[int, dict[str, str], str]:
        code = code if code is not None else pyotp.TOTP(account["totp_secret"]).now()
        return self.call(LOGIN, {"username": account["username"], "password": password or account["password"],
                                 "dynamicCode": code})

    def reply_form(self, transact_id: int) -> Selector:
        status, _, body = self.call(f"{REPLY}?transactId={transact_id}")
        assert status == 200
        return Selector(text=body)

    def reply(self, transact_id: int, content: str, csrf: str | None = None) -> tuple[int, dict[str, str], str]:
        token = csrf if csrf is not None else self.reply_form(transact_id).css(
            "input[name=csrfToken]::attr(value)").get("")
        return self.call(f"{REPLY}?transactId={transact_id}", {"csrfToken": token, "content": content})


def tip(body: str) -> str:
    return Selector(text=body).css("#tip").xpath("string()").get("")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with replica_process(tmp_path_factory.mktemp("jact_backoffice"), ["jact"]) as urls:
        yield urls["jact"]


@pytest.fixture(scope="module")
def accounts(base: str) -> dict[str, dict[str, str]]:
    return {account["unit"]: account for account in control(base, "jact/accounts")}


def letters(base: str) -> dict[int, dict[str, Any]]:
    return {letter["id"]: letter for letter in control(base, "jact/letters")}


def busiest_unit(base: str, status: str = "办理中") -> str:
    """The unit holding the most public letters in `status`."""
    units = [x["unit"] for x in letters(base).values() if x["status"] == status and x["public"]]
    return max(set(units), key=units.count)


def pick(base: str, unit: str, status: str, used: set[int] = set()) -> dict[str, Any]:  # noqa: B006
    """A public letter of `unit` in `status` not picked by an earlier test of this module."""
    letter = next(x for x in letters(base).values()
                  if x["unit"] == unit and x["status"] == status and x["public"] and x["id"] not in used)
    used.add(letter["id"])
    return letter


def logged_in(base: str, accounts: dict[str, dict[str, str]], unit: str) -> Desk:
    desk = Desk(base)
    assert desk.login(accounts[unit])[0] == 302
    return desk


def test_login_needs_the_password_and_the_current_dynamic_code(base: str, accounts: dict[str, dict[str, str]]) -> None:
    account = accounts["市教育局"]
    desk = Desk(base)
    status, _, body = desk.login(account, password="wrong")
    assert status == 200 and tip(body) == "用户名或密码错误" and not list(desk.jar)
    totp = pyotp.TOTP(account["totp_secret"])
    stale = totp.at(time.time() - 3600)  # an hour-old code
    assert tip(desk.login(account, code=stale)[2]) == "动态口令错误" and not list(desk.jar)
    assert tip(desk.login(account, code="12ab56")[2]) == "动态口令错误"
    assert tip(desk.call(LOGIN, {"username": "nobody", "password": "x", "dynamicCode": "000000"})[2]) == "用户名或密码错误"
    status, headers, _ = desk.login(account)
    assert status == 302 and headers["Location"] == INDEX
    assert [cookie.name for cookie in desk.jar] == ["JSESSIONID"]
    status, _, body = desk.call(INDEX)
    page = Selector(text=body)
    assert status == 200 and page.css("#currentUnit::text").get() == "市教育局"
    assert page.css("#letters tbody") and not page.css("tr.letter-row")  # rows come from the script
    assert "/jact/admin/api/letters" in body


def test_letter_list_api_needs_a_session_and_holds_only_the_units_letters(
        base: str, accounts: dict[str, dict[str, str]]) -> None:
    status, _, body = Desk(base).call(API)
    assert status == 401 and json.loads(body)["msg"] == "登录超时，请重新登录"
    unit = busiest_unit(base)
    payload = json.loads(logged_in(base, accounts, unit).call(API)[2])
    truth = [x for x in letters(base).values() if x["unit"] == unit]
    assert payload["total"] == len(payload["rows"]) == len(truth) > 0
    assert [row["transactId"] for row in payload["rows"]] == sorted((x["id"] for x in truth), reverse=True)
    first = payload["rows"][0]
    assert set(first) == {"transactId", "letter_no", "title", "status", "answered"}
    by_id = {x["id"]: x for x in truth}
    assert all(row["answered"] == bool(by_id[row["transactId"]]["replies"]) for row in payload["rows"])
    assert {row["status"] for row in payload["rows"]} <= {"办理中", "已回复", "已办结"}


def test_reply_refusals_in_the_platforms_words_store_nothing(base: str, accounts: dict[str, dict[str, str]]) -> None:
    unit = busiest_unit(base)
    desk = logged_in(base, accounts, unit)
    letter = pick(base, unit, "已回复")
    before = letters(base)
    cases = {"": "回复内容不能为空", "　\r\n ": "回复内容不能为空", "好" * 2001: "回复内容不能超过2000字",
             "请勿相信法轮功宣传。": "回复内容含有敏感词"}
    for content, message in cases.items():
        status, _, body = desk.reply(letter["id"], content)
        assert (status, tip(body)) == (200, message), message
        assert Selector(text=body).css("textarea[name=content]::text").get("") == content.replace("\r\n", "\n")
    closed = pick(base, unit, "已办结")
    assert tip(desk.reply(closed["id"], "已处理完毕。")[2]) == "该信件已办结，不能回复"
    other = next(x for x in before.values() if x["unit"] not in ("", unit))
    status, _, body = desk.call(f"{REPLY}?transactId={other['id']}")
    assert (status, tip(body)) == (200, "无权回复该信件") and not Selector(text=body).css("#replyForm")
    form = desk.reply_form(letter["id"]).css("input[name=csrfToken]::attr(value)").get("")
    assert tip(desk.reply(other["id"], "越权回复。", csrf=form)[2]) == "无权回复该信件"
    assert desk.reply(letter["id"], "伪造的请求。", csrf="forged")[0] == 403
    assert desk.reply(letter["id"], "好" * 2000)[0] == 200  # exactly the limit is fine
    after = letters(base)
    assert len(after[letter["id"]]["replies"]) == len(before[letter["id"]]["replies"]) + 1
    assert all(after[i]["replies"] == before[i]["replies"] for i in before if i != letter["id"])


def test_a_reply_is_published_on_the_public_detail_page_as_replied(
        base: str, accounts: dict[str, dict[str, str]]) -> None:
    unit = busiest_unit(base)
    letter = pick(base, unit, "办理中")
    desk = logged_in(base, accounts, unit)
    text = f"您好，您反映的问题我局已收悉，\r\n将于三个工作日内处理。{unit}"
    status, _, body = desk.reply(letter["id"], text)
    reply_id = Selector(text=body).css("span#replyId::text").get()
    assert status == 200 and tip(body).startswith("回复成功") and reply_id == f"R{letter['id']}01"
    detail = Selector(text=urllib.request.urlopen(
        f"{base}/jact/front/mailpubdetail.do?transactId={letter['id']}&sysid=6", timeout=10).read().decode())
    # label/value cell pairs, one or two a row, the reply's table included (any layout the replica serves)
    cells = {td.xpath("string()").get("").strip().rstrip("："): td.xpath("string(following-sibling::td[1])").get("")
             for td in detail.xpath("//tr/td[position() mod 2 = 1]")}
    assert cells["处理状态"] == "已回复" and cells["办理单位"] == unit
    assert cells["回复内容"] == text.replace("\r\n", "") and cells["回复时间"] == "2026-11-20 09:00:00"
    truth = letters(base)[letter["id"]]
    assert truth["status"] == "已回复" and [r["reply_id"] for r in truth["replies"]] == [reply_id]
    assert truth["replies"][0]["text"] == text.replace("\r\n", "\n")
    shown = desk.reply_form(letter["id"]).css("li.reply")
    assert [li.attrib["data-reply-id"] for li in shown] == [reply_id]
    assert shown[0].css(".reply-content::text").get() == text.replace("\r\n", "\n")
    rows = json.loads(desk.call(API)[2])["rows"]
    assert next(row for row in rows if row["transactId"] == letter["id"])["answered"] is True


def test_expired_sessions_send_every_admin_page_back_to_login(base: str, accounts: dict[str, dict[str, str]]) -> None:
    desk = logged_in(base, accounts, "市公安局")
    assert desk.call(INDEX)[0] == 200
    assert control(base, "jact/expire-sessions", {})["expired"] >= 1
    for path in (INDEX, f"{REPLY}?transactId=1"):
        status, headers, _ = desk.call(path)
        assert (status, headers["Location"]) == (302, LOGIN), path
    assert desk.call(API)[0] == 401
    assert desk.call(f"{REPLY}?transactId=1", {"csrfToken": "x", "content": "y"})[0] == 302


def test_faults_after_store_answer_badly_but_keep_the_reply(base: str, accounts: dict[str, dict[str, str]]) -> None:
    unit = busiest_unit(base, "已回复")
    desk = logged_in(base, accounts, unit)
    letter = pick(base, unit, "已回复")
    assert control(base, "jact/faults", {"after_store": "502", "count": 1})["after_store"] == ["502"]
    status, _, body = desk.reply(letter["id"], "第一次回复。")
    assert status == 502 and "Bad Gateway" in body
    control(base, "jact/faults", {"after_store": "close"})
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        desk.reply(letter["id"], "第二次回复。")
    texts = [r["text"] for r in letters(base)[letter["id"]]["replies"]]
    assert texts[-2:] == ["第一次回复。", "第二次回复。"]
    assert desk.reply(letter["id"], "第三次回复。")[0] == 200  # faults are used up


def test_faults_before_store_turn_replies_away_unstored(base: str, accounts: dict[str, dict[str, str]]) -> None:
    unit = busiest_unit(base, "已回复")
    desk = logged_in(base, accounts, unit)
    letter = pick(base, unit, "已回复")
    before = len(letters(base)[letter["id"]]["replies"])
    control(base, "jact/faults", {"before_store": "503", "count": 2})
    for _ in range(2):
        status, headers, body = desk.reply(letter["id"], "稍后再试的回复。")
        assert (status, headers["Retry-After"], tip(body)) == (503, "30", "系统繁忙，请稍后再试")
    assert len(letters(base)[letter["id"]]["replies"]) == before
    control(base, "jact/faults", {"before_store": "expire"})
    status, headers, _ = desk.reply(letter["id"], "会话过期的回复。")
    assert (status, headers["Location"]) == (302, LOGIN) and desk.call(INDEX)[0] == 302
    assert len(letters(base)[letter["id"]]["replies"]) == before
    with pytest.raises(urllib.error.HTTPError):
        control(base, "jact/faults", {"after_store": "expire"})


def test_accounts_are_stable_for_a_seed(base: str, accounts: dict[str, dict[str, str]], tmp_path: Path) -> None:
    assert len(accounts) == 11 and accounts["市住房和城乡建设局"]["username"] == "zjj"
    assert all(len(pyotp.TOTP(a["totp_secret"]).now()) == 6 for a in accounts.values())
    with replica_process(tmp_path, ["jact"], seed=8) as other:
        assert control(other["jact"], "jact/accounts")[0]["password"] != accounts["市住房和城乡建设局"]["password"]
