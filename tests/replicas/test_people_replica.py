"""The 领导留言板 replica, served as a separate process and called over loopback HTTP (and in Chromium)."""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest

from replicas.people.boards import pick
from replicas.people.signing import REAL_APP_CODE, sign
from replicas.people.site import create
from replicas.people.world import Lateness, World
from tests.replicahost import control, replica_process

DF, BW, CONTENT = "/v1/threads/list/df", "/v1/threads/list/bw", "/v1/threads/content"
FORM_LIST = "/threads/queryThreadsList"
OPTIONS = {"boards": 4, "per_board": 45, "rate_per_s": 0}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def compact(params: dict[str, Any]) -> str:
    """JSON.stringify's output for a flat object: key order kept, no spaces, Chinese raw."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))


def list_params(fid: str | int, last: str = "", position: int = 0, rows: int = 10) -> dict[str, Any]:
    return {"fid": fid, "showUnAnswer": 1, "typeId": 5, "lastItem": last, "position": position, "rows": rows,
            "orderType": 2}


class Client:
    """A plain HTTP client with a cookie jar, as a scraper would use (urllib, no browser)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None,
                ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def warm_up(self, fid: int = 559) -> str:
        status, _, body = self.request(f"/threads/list?fid={fid}")
        assert status == 200
        return body.decode()

    def post_envelope(self, path: str, envelope: dict[str, Any]) -> tuple[int, bytes]:
        status, _, body = self.request(path, json.dumps(envelope, ensure_ascii=False).encode(),
                                       {"Content-Type": "application/json;charset=UTF-8"})
        return status, body

    def signed(self, path: str, params: dict[str, Any], app_code: str = REAL_APP_CODE) -> dict[str, Any]:
        param = compact(params)
        status, body = self.post_envelope(path, {"appCode": app_code, "token": "",
                                                 "signature": sign(path, param, app_code), "param": param})
        assert status == 200, body[:200]
        return json.loads(body)

    def form(self, path: str, fields: dict[str, Any]) -> tuple[int, bytes]:
        status, _, body = self.request(path, urllib.parse.urlencode(fields).encode(),
                                       {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
        return status, body


def all_pages(client: Client, fid: int, rows: int = 10) -> list[int]:
    """Every tid of a board through the signed df list, as public crawlers page: the next lastItem is the last
    item's tid, and a page shorter than asked is the last (resultData.lastItem is not read)."""
    tids, last = [], ""
    for _ in range(100):
        data = client.signed(DF, list_params(str(fid), last, rows=rows))["resultData"]["data"]
        tids += [item["tid"] for item in data]
        if len(data) < rows:
            return tids
        last = str(data[-1]["tid"])
    raise AssertionError("paging never ended")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A read-only replica: 4 boards (three df, the ministry 5050 on bw), no rate limit."""
    with replica_process(tmp_path_factory.mktemp("people"), ["people"], options={"people": OPTIONS}) as urls:
        yield urls["people"]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[str]:
    """A replica of its own, for tests that change the site."""
    with replica_process(tmp_path, ["people"], options={"people": {**OPTIONS, "boards": 3}}) as urls:
        yield urls["people"]


@pytest.fixture
def client(site: str) -> Client:
    client = Client(site)
    client.warm_up()
    return client


def truth(base: str, fid: int | None = None) -> list[dict[str, Any]]:
    return control(base, "people/messages" + (f"?fid={fid}" if fid else ""))


# -- signing ------------------------------------------------------------------------------------------


def test_signature_reproduces_the_three_hashes_captured_from_the_real_site() -> None:
    # The bw capture sent fid as a number (5050), the df one as a string ("559"): byte-exact params matter.
    bw = '{"fid":5050,"showUnAnswer":1,"typeId":5,"lastItem":"","position":1,"rows":10,"orderType":2}'
    df = '{"fid":"559","showUnAnswer":1,"typeId":5,"lastItem":"","position":0,"rows":10,"orderType":2}'
    assert sign(BW, bw, REAL_APP_CODE) == "22e8ff231248d4e2774c9d1b523afdf9"
    assert sign(DF, df, REAL_APP_CODE) == "9f41eaf88787382c14da461be7079546"
    assert sign("/v1/forum/getTopBwForums", "{}", REAL_APP_CODE) == "3be29e33cb708b79a3802f663cf8f16e"
    df_593 = '{"fid":"593","showUnAnswer":1,"typeId":5,"lastItem":"","position":"0","rows":10,"orderType":2}'
    assert sign(DF, df_593, REAL_APP_CODE) == "a7db9282e68f7ccceff0785b444c2194"  # position sent as a string
    assert sign(CONTENT, '{"tid":"14592777","fromTrash":0}', REAL_APP_CODE) == "18d497371f56c631390ca2f9a196b130"
    assert sign("/v2/threads/search?sortType=0", "{}", REAL_APP_CODE) == sign("/v2/threads/search", "{}",
                                                                               REAL_APP_CODE)


def test_the_captured_request_bodies_are_accepted_verbatim(client: Client) -> None:
    captured = [
        (BW, '{"fid":5050,"showUnAnswer":1,"typeId":5,"lastItem":"","position":1,"rows":10,"orderType":2}',
         "22e8ff231248d4e2774c9d1b523afdf9"),
        (DF, '{"fid":"559","showUnAnswer":1,"typeId":5,"lastItem":"","position":0,"rows":10,"orderType":2}',
         "9f41eaf88787382c14da461be7079546"),
        ("/v1/forum/getTopBwForums", "{}", "3be29e33cb708b79a3802f663cf8f16e"),
    ]
    answers = []
    for path, param, signature in captured:
        status, body = client.post_envelope(path, {"appCode": REAL_APP_CODE, "token": "", "signature": signature,
                                                   "param": param})
        assert status == 200
        answers.append(json.loads(body))
    assert [answer["code"] for answer in answers] == [0, 0, 0]
    assert {item["fid"] for item in answers[0]["resultData"]["data"]} == {5050}
    assert {item["forumName"] for item in answers[1]["resultData"]["data"]} == {"浙江省委书记"}
    assert [forum["fid"] for forum in answers[2]["resultData"]["forums"]] == [5050]


def test_a_bad_signature_gets_sn0006_with_http_200(client: Client) -> None:
    param = compact(list_params("559"))
    good = sign(DF, param, REAL_APP_CODE)
    spaced = json.dumps(list_params("559"))  # same params, Python's default spacing: not the signed bytes
    attempts = [
        {"appCode": REAL_APP_CODE, "token": "", "signature": good[:-1] + ("0" if good[-1] != "0" else "1"),
         "param": param},
        {"appCode": REAL_APP_CODE, "token": "", "signature": good, "param": spaced},
        {"appCode": REAL_APP_CODE, "token": "", "param": param},
        {"appCode": "PC0000000000000", "token": "", "signature": sign(DF, param, "PC0000000000000"), "param": param},
    ]
    for envelope in attempts:
        status, body = client.post_envelope(DF, envelope)
        assert (status, json.loads(body)) == (200, {"code": "SN0006", "msg": "数据格式错误"})
    assert client.signed(DF, list_params("559"))["code"] == 0


def test_a_front_end_release_changes_the_app_code_and_old_signatures_fail(fresh: str) -> None:
    client = Client(fresh)
    before = client.warm_up()
    old_script = before.split('<script src="')[1].split('"')[0]
    assert "appCode:'PC42ce3bfa4980a9'" in before
    assert client.request(old_script)[0] == 200
    released = control(fresh, "people/rotate-appcode", {})
    after = client.warm_up()
    assert released["appCode"] != REAL_APP_CODE
    assert f"appCode:'{released['appCode']}'" in after and f'src="{released["script"]}"' in after
    assert client.signed(DF, list_params("559")) == {"code": "SN0006", "msg": "数据格式错误"}
    assert client.signed(DF, list_params("559"), released["appCode"])["code"] == 0
    assert client.request(old_script)[0] == 404 and client.request(released["script"])[0] == 200


# -- lists and detail ---------------------------------------------------------------------------------


def test_cursor_paging_reaches_every_message_of_each_board_exactly_once(client: Client, site: str) -> None:
    for fid in (559, 1007, 4523):
        tids = all_pages(client, fid)
        assert tids == [message["tid"] for message in truth(site, fid)]
        assert len(set(tids)) == len(tids) == OPTIONS["per_board"]
        assert tids == sorted(tids, reverse=True)


def test_the_last_item_field_marks_the_end_where_the_variant_sends_it(client: Client, site: str) -> None:
    tids = [m["tid"] for m in truth(site, 4523)]  # 45: pages of 10, 10, 10, 10 and 5
    pages = [client.signed(DF, list_params("4523", str(last)))["resultData"] for last in ("", tids[9], tids[39])]
    assert [page["lastItem"] for page in pages] == [str(tids[9]), str(tids[19]), ""]
    assert [item["tid"] for item in pages[2]["data"]] == tids[40:]


def test_answers_reshape_as_the_variant_says_and_read_the_same(fresh: str) -> None:
    client = Client(fresh)
    client.warm_up()
    known = next(m for m in truth(fresh) if m["repliesFirst"] and len(m["replies"]) == 2)
    before = client.signed(CONTENT, {"tid": str(known["tid"]), "fromTrash": 0})["resultData"]["contentList"]
    listed = client.signed(DF, list_params("559", rows=30))["resultData"]
    changed = control(fresh, "people/variant", {"last_item_field": False, "list_rows_max": 10,
                                                "content_time": "createDateline", "data_type": False})
    assert changed == {"last_item_field": False, "list_rows_max": 10, "content_time": "createDateline",
                       "data_type": False} == control(fresh, "stats")["variant"]
    capped = client.signed(DF, list_params("559", rows=30))["resultData"]
    assert list(capped) == ["data"] and capped["data"] == listed["data"][:10]  # 10 whatever rows asks
    assert all_pages(client, 559, rows=10) == [m["tid"] for m in truth(fresh, 559)]
    after = client.signed(CONTENT, {"tid": str(known["tid"]), "fromTrash": 0})["resultData"]["contentList"]
    assert all("dataType" not in entry for entry in after) and len(after) == len(before)
    message = next(e for e in after if "subject" in e)
    assert message["createDateline"] == known["dateline"] and "dateline" not in message
    assert [{k: v for k, v in e.items() if k not in ("dataType", "dateline", "createDateline")} for e in after] == [
        {k: v for k, v in e.items() if k not in ("dataType", "dateline", "createDateline")} for e in before]
    assert all(e["dateline"] == r["dateline"] for e, r in zip(after[:2], known["replies"][::-1], strict=True))
    both = control(fresh, "people/variant", {"content_time": "both", "data_type": "true"})
    assert both["content_time"] == "both" and both["data_type"] is True
    entry = client.signed(CONTENT, {"tid": str(known["tid"]), "fromTrash": 0})["resultData"]["contentList"][-1]
    assert entry["dataType"] == 1 and entry["dateline"] == entry["createDateline"] == known["dateline"]


@pytest.mark.parametrize("body", [{"lastItem": False}, {"list_rows_max": 0}, {"list_rows_max": "ten"},
                                  {"content_time": "posted"}, {"data_type": "maybe"}])
def test_a_variant_the_replica_does_not_know_is_refused_and_nothing_changes(site: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(site + "/__replica__/people/variant", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback replica
    assert refused.value.code == 400
    assert control(site, "stats")["variant"] == {"last_item_field": True, "list_rows_max": 50,
                                                 "content_time": "dateline", "data_type": True}


def test_variants_are_replica_options_too() -> None:
    replica = create("people", 7, boards="1", per_board="0", last_item_field="false", list_rows_max="10",
                     content_time="createDateline", data_type="0")
    assert replica.stats()["variant"] == {"last_item_field": False, "list_rows_max": 10,
                                          "content_time": "createDateline", "data_type": False}
    with pytest.raises(TypeError, match="unknown option"):
        create("people", 7, last_item="false")


def test_an_outage_refuses_the_content_of_chosen_tids_until_lifted(fresh: str) -> None:
    client = Client(fresh)
    client.warm_up()
    tid = truth(fresh, 559)[2]["tid"]
    assert control(fresh, "people/refuse", {"tids": [tid]}) == {"refused": [tid]}
    status, body = client.post_envelope(CONTENT, signed_body(CONTENT, {"tid": str(tid), "fromTrash": 0}))
    assert status == 403 and "访问被拦截" in body.decode()
    other = truth(fresh, 559)[3]["tid"]
    assert client.signed(CONTENT, {"tid": str(other), "fromTrash": 0})["code"] == 0
    control(fresh, "people/refuse", {"tids": []})
    assert client.signed(CONTENT, {"tid": str(tid), "fromTrash": 0})["code"] == 0


def signed_body(path: str, params: dict[str, Any]) -> dict[str, Any]:
    param = compact(params)
    return {"appCode": REAL_APP_CODE, "token": "", "signature": sign(path, param, REAL_APP_CODE), "param": param}


def test_list_items_carry_the_platform_fields(client: Client, site: str) -> None:
    items = client.signed(DF, list_params("1007", rows=20))["resultData"]["data"]
    expected = {message["tid"]: message for message in truth(site, 1007)}
    assert len(items) == 20
    for item in items:
        known = expected[item["tid"]]
        assert item["nickName"].endswith("***") and item["ip"].endswith(".*") and item["from"].startswith(" ")
        assert item["stateInfo"] == item["traceInfo"] == known["stateInfo"]
        assert item["typeName"] in ("建言", "投诉/求助", "咨询") and item["forumName"] == "杭州市市长"
        if item["gradeManner"] is not None:
            assert item["stateInfo"] == "已办理" and item["lastAnswerTime"]
        assert item["dateline"] <= item["threadsCheckTime"]
        assert item["topicId"] == 0 and item["gradeLevel"] == item["grade"]  # fields of a real 2021 item
    every = truth(site)
    handled = [m for m in every if m["stateInfo"] == "已办理"]
    assert 0.3 < sum(m["gradeManner"] is not None for m in handled) / len(handled) < 0.7
    assert {m["typeName"] for m in every} == {"建言", "投诉/求助", "咨询"}


def test_content_api_gives_the_full_message_and_replies_by_data_type(client: Client, site: str) -> None:
    handled = [m for m in truth(site, 559) if m["stateInfo"] == "已办理"]
    first_reply = next(m for m in handled if m["repliesFirst"])
    first_message = next(m for m in handled if not m["repliesFirst"])
    for known in (first_reply, first_message):
        result = client.signed(CONTENT, {"tid": str(known["tid"]), "fromTrash": 0})["resultData"]
        entries = result["contentList"]
        message = [entry for entry in entries if entry["dataType"] == 1]
        replies = [entry for entry in entries if entry["dataType"] == 4]
        assert len(message) == 1 and message[0]["content"] == known["content"]
        assert not message[0]["content"].endswith("...")
        assert [(r["organization"], r["dateline"], r["content"]) for r in replies] == sorted(
            ((r["organization"], r["dateline"], r["content"]) for r in known["replies"]),
            key=lambda reply: reply[1], reverse=known["repliesFirst"])
    orders = {entry["dataType"] for entry in client.signed(
        CONTENT, {"tid": str(first_reply["tid"]), "fromTrash": 0})["resultData"]["contentList"][:1]}
    assert orders == {4}
    missing = client.signed(CONTENT, {"tid": "1", "fromTrash": 0})
    assert missing["code"] != 0 and missing["resultData"] is None


def test_form_api_truncates_content_and_ignores_page_size(client: Client, site: str) -> None:
    known = {message["tid"]: message for message in truth(site, 4523)}
    status, body = client.form(FORM_LIST, {"fid": 4523, "lastItem": 0, "state": 1, "pageSize": 40})
    answer = json.loads(body)
    assert status == 200 and answer["result"] == "success" and answer["success"] is True
    items = answer["responseData"]
    assert len(items) == 10
    for item in items:
        full = known[item["tid"]]["content"]
        assert len(full) > 100 and item["content"] == full[:100] + "..."
    _, body = client.form("/pro-dfbbs-front/threads/queryThreadsList",
                          {"fid": 4523, "lastItem": items[-1]["tid"], "state": 4})
    older = json.loads(body)["responseData"]
    assert older and {item["stateInfo"] for item in older} == {"已办理"}
    assert max(item["tid"] for item in older) < items[-1]["tid"]


# -- anti-bot -----------------------------------------------------------------------------------------


def test_api_calls_without_the_warm_up_cookie_are_blocked(site: str) -> None:
    cold = Client(site)
    param = compact(list_params("559"))
    envelope = {"appCode": REAL_APP_CODE, "token": "", "signature": sign(DF, param, REAL_APP_CODE), "param": param}
    status, body = cold.post_envelope(DF, envelope)
    assert status == 403 and "访问被拦截" in body.decode()
    assert cold.form(FORM_LIST, {"fid": 559, "lastItem": 0})[0] == 403
    forged = Client(site)
    forged.jar.set_cookie(http.cookiejar.Cookie(
        0, "__jsluid_s", "0" * 32, None, False, "127.0.0.1", False, False, "/", True, False, None, True, None,
        None, {}))
    assert forged.post_envelope(DF, envelope)[0] == 403
    status, headers, page = cold.request("/pro-dfbbs-front/forum/list?fid=1007")
    assert status == 200 and "__jsluid_s=" in headers["Set-Cookie"] and "appCode:'PC42ce3bfa4980a9'" in page.decode()
    status, body = cold.post_envelope(DF, envelope)
    assert status == 200 and json.loads(body)["code"] == 0


def test_bursts_over_the_rate_limit_get_429_403_or_empty_200(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["people"], options={"people": {"per_board": 20, "rate_per_s": 5}}) as urls:
        client = Client(urls["people"])
        client.warm_up()
        outcomes: Counter[str] = Counter()

        def call() -> tuple[int, bytes]:
            status, body = client.form(FORM_LIST, {"fid": 559, "lastItem": 0})
            outcomes["ok" if status == 200 and body else f"{status}:{'empty' if not body else 'page'}"] += 1
            return status, body

        # A burst until the WAF has throttled three calls: however slowly a loaded machine sends them, a full
        # bucket (5) answers first, and the throttle rotates through its three kinds.
        while outcomes.total() - outcomes["ok"] < 3:
            call()
            assert outcomes.total() < 1000, outcomes
        assert outcomes["ok"] >= 4
        assert outcomes["429:page"] and outcomes["403:page"] and outcomes["200:empty"]
        burst = outcomes.copy()
        # The bucket refills at 5 a second: calls a little slower than that get through again.
        deadline = time.monotonic() + 60
        while (answer := call())[0] != 200 or not answer[1]:
            assert time.monotonic() < deadline, outcomes
            time.sleep(0.25)
        assert json.loads(answer[1])["success"] is True
        assert outcomes["ok"] == burst["ok"] + 1
        stats = control(urls["people"], "stats")
        assert stats["rate_limited"] == outcomes.total() - outcomes["ok"]


def test_a_waf_storm_throttles_exactly_the_next_n_calls_and_the_rate_can_be_retuned(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["people"], options={"people": {"per_board": 5, "rate_per_s": 0}}) as urls:
        client = Client(urls["people"])
        client.warm_up()
        answer = control(urls["people"], "people/waf", {"storm": 3})
        statuses = [client.form(FORM_LIST, {"fid": 559, "lastItem": 0})[0] for _ in range(5)]
        assert statuses == [429, 403, 200, 200, 200] and answer["storm"] == 3
        assert control(urls["people"], "stats")["rate_limited"] == 3
        control(urls["people"], "people/waf", {"rate_per_s": 1})
        status, body = client.form(FORM_LIST, {"fid": 559, "lastItem": 0})
        assert status == 200 and json.loads(body)["success"] is True
        # One a second: back-to-back calls soon meet the throttle (each would have to take a second to pass).
        calls = 0
        while (answer := client.form(FORM_LIST, {"fid": 559, "lastItem": 0}))[0] == 200 and answer[1]:
            calls += 1
            assert calls < 50, "a rate of 1/s never throttled 50 calls in a row"
        with pytest.raises(urllib.error.HTTPError) as refused:
            control(urls["people"], "people/waf", {"storm": -1})
        assert refused.value.code == 400


# -- time moving on -----------------------------------------------------------------------------------


def test_generation_and_advance_are_deterministic_and_move_states_forward() -> None:
    one, two = World(11, pick(3), 30), World(11, pick(3), 30)
    assert [m.item() for m in one.messages] == [m.item() for m in two.messages]
    top = one.messages[-1].tid
    summary = one.advance(12)
    assert summary == two.advance(12)
    assert summary["new"] and min(summary["new"]) > top and summary["replied"] and summary["assigned"]
    assert summary["clock"] == "2026-06-08T12:00:00+08:00"
    for tid in summary["replied"]:
        assert one.by_tid[tid].state == "已办理" and one.by_tid[tid].replies
    assert [m.item() for m in one.messages] == [m.item() for m in two.messages]


def test_advance_over_http_shows_new_messages_first(fresh: str) -> None:
    client = Client(fresh)
    client.warm_up()
    summary = control(fresh, "advance", {"steps": 6})
    new_here = sorted((m["tid"] for m in truth(fresh, 559) if m["tid"] in summary["new"]), reverse=True)
    assert new_here
    first_page = client.signed(DF, list_params("559"))["resultData"]["data"]
    assert [item["tid"] for item in first_page[:len(new_here)]] == new_here[:10]


# -- late publication ---------------------------------------------------------------------------------
LATE = {"boards": 2, "per_board": 30, "rate_per_s": 0, "late_share": 0.5, "late_hours": 24}


def test_late_messages_wait_6_to_max_hours_for_approval_deterministically() -> None:
    one, two = (World(11, pick(2), 30, Lateness(0.5, 24)) for _ in range(2))
    plain = World(11, pick(2), 30)
    summaries = [one.advance(1) for _ in range(12)]
    assert summaries == [two.advance(1) for _ in range(12)]
    assert [m.item() for m in one.messages] == [m.item() for m in two.messages]
    held = [tid for summary in summaries for tid in summary["held"]]
    published = [tid for summary in summaries for tid in summary["published"]]
    assert held and published and not plain.held
    for tid in published:
        message = one.by_tid[tid]
        assert 6 * 3600 <= message.check_time - message.dateline <= 24 * 3600 and message.published
    for message in one.held.values():  # not listed, not handled, never published early
        assert message.state == "待回复" and not message.replies
        assert message.tid not in {m.tid for m in one.page(message.board.fid, None, 1000)[0]}


def test_a_late_message_is_listed_below_newer_tids_once_approved(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["people"], options={"people": LATE}) as urls:
        base, client = urls["people"], Client(urls["people"])
        client.warm_up()
        held: dict[str, Any] = {}
        for _ in range(8):  # until a held message has newer tids listed above it on its board
            control(base, "advance", {"steps": 1})
            board = truth(base, 559)
            listed_tids = [m["tid"] for m in board if m["published"]]
            held = next((m for m in board if not m["published"] and m["tid"] < listed_tids[0]), {})
            if held:
                break
        assert held, "no message was held back"
        newer = [tid for tid in listed_tids if tid > held["tid"]]
        first_page = [item["tid"] for item in client.signed(DF, list_params("559", rows=50))["resultData"]["data"]]
        assert first_page[:len(newer)] == newer and held["tid"] not in first_page
        hidden = client.signed(CONTENT, {"tid": str(held["tid"]), "fromTrash": 0})
        assert hidden["code"] != 0 and hidden["resultData"] is None
        published: list[int] = []
        for _ in range(7):
            published += control(base, "advance", {"steps": 1})["published"]
            if held["tid"] in published:
                break
        items = client.signed(DF, list_params("559", rows=50))["resultData"]["data"]
        tids = [item["tid"] for item in items]
        item = items[tids.index(held["tid"])]
        assert tids == sorted(tids, reverse=True) and set(newer) < set(tids[:tids.index(held["tid"])])
        assert item["threadsCheckTime"] >= item["dateline"] + 6 * 3600  # approval time, after the newer ones'
        assert item["threadsCheckTime"] > max(i["threadsCheckTime"] for i in items if i["tid"] in newer)
        shown = client.signed(CONTENT, {"tid": str(held["tid"]), "fromTrash": 0})
        assert shown["code"] == 0 and shown["resultData"]["tid"] == held["tid"]


def test_the_control_api_publishes_held_messages_at_once(tmp_path: Path) -> None:
    with replica_process(tmp_path, ["people"], options={"people": LATE}) as urls:
        base = urls["people"]
        moved = control(base, "advance", {"steps": 4})
        waiting = [m["tid"] for m in truth(base) if not m["published"]]
        assert waiting and set(moved["held"]) <= set(waiting) and control(base, "stats")["held"] == len(waiting)
        answer = control(base, "people/publish", {"tids": waiting[:1]})
        assert answer == {"published": waiting[:1], "held": sorted(waiting[1:])}
        clock = control(base, "stats")["clock"]
        first = next(m for m in truth(base) if m["tid"] == waiting[0])
        assert first["published"] and first["threadsCheckTime"] >= datetime.fromisoformat(clock).timestamp()
        assert control(base, "people/publish", {})["held"] == []
        assert all(m["published"] for m in truth(base))


# -- back office --------------------------------------------------------------------------------------


def login(base: str, fid: int, code: str | None = None) -> tuple[Client, dict[str, Any], int]:
    account = next(a for a in control(base, "people/accounts") if a["fid"] == fid)
    client = Client(base)
    otp = code if code is not None else pyotp.TOTP(account["totp_secret"]).now()
    status, _, _ = client.request("/backoffice/login", urllib.parse.urlencode(
        {"username": account["username"], "password": account["password"], "otp": otp}).encode())
    return client, account, status


def test_back_office_reply_with_totp_appears_in_the_content_api(fresh: str) -> None:
    refused, _, _ = login(fresh, 1007, code="000000")
    assert refused.request("/backoffice/api/messages")[0] == 401
    office, account, status = login(fresh, 1007)
    assert status == 200  # redirected to the work list
    status, _, body = office.request("/backoffice/api/messages?state=2")
    work = json.loads(body)
    assert status == 200 and work["unit"] == account["unit"] == "杭州市人民政府办公厅"
    assert work["messages"] and {m["stateInfo"] for m in work["messages"]} == {"待回复"}
    target = work["messages"][0]["tid"]
    text = "您好！您反映的问题已转交属地街道办理，现已完成整改，感谢您的监督。"
    xhr = {"X-Requested-With": "XMLHttpRequest"}
    reply_form = {"tid": target, "content": text}
    assert office.request("/backoffice/reply", urllib.parse.urlencode(reply_form).encode(), xhr)[0] == 403
    other_board = truth(fresh, 559)[0]["tid"]
    status, _, _ = office.request("/backoffice/reply", urllib.parse.urlencode(
        {**reply_form, "tid": other_board, "csrf": work["csrf"]}).encode(), xhr)
    assert status == 404
    status, _, body = office.request("/backoffice/reply", urllib.parse.urlencode(
        {**reply_form, "csrf": work["csrf"]}).encode(), xhr)
    receipt = json.loads(body)
    assert status == 200 and receipt["code"] == 0 and receipt["stateInfo"] == "已办理"

    reader = Client(fresh)
    reader.warm_up()
    entries = reader.signed(CONTENT, {"tid": str(target), "fromTrash": 0})["resultData"]["contentList"]
    posted = [entry for entry in entries if entry["dataType"] == 4]
    assert [(r["organization"], r["content"], r["answerId"]) for r in posted] == [
        (account["unit"], text, receipt["answerId"])]
    assert posted[0]["dateline"] == receipt["dateline"]
    assert next(e for e in entries if e["dataType"] == 1)["stateInfo"] == "已办理"
    listed = {item["tid"]: item for item in reader.signed(DF, list_params("1007", rows=50))["resultData"]["data"]}
    assert listed[target]["stateInfo"] == "已办理"
    _, _, body = office.request(f"/backoffice/api/replies?tid={target}")
    assert [r["answerId"] for r in json.loads(body)["replies"]] == [receipt["answerId"]]


# -- in a browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def rendered(page: Any) -> str:
    """How the SPA says it finished ('more', 'end', 'done', 'notfound' or 'error:<code>'), within 10 s."""
    page.wait_for_selector("#app[data-ready]:not([data-ready=loading])", state="attached", timeout=30_000)
    return str(page.get_attribute("#app", "data-ready"))


@pytest.mark.browser
def test_the_list_and_detail_shells_render_in_chromium(browser: Any, site: str, client: Client) -> None:
    first = client.signed(DF, list_params("559"))["resultData"]
    second = client.signed(DF, list_params("559", str(first["data"][-1]["tid"])))["resultData"]
    page = browser.new_page()
    try:
        page.goto(f"{site}/threads/list?fid=559")
        assert rendered(page) == "more"
        assert page.locator("ul.replyList > li div.tabList h1").all_inner_texts() == [
            item["subject"] for item in first["data"]]
        assert page.locator("ul.replyList > li p.replyContent span").first.inner_text() == first["data"][0]["content"]
        assert page.locator("ul.replyList > li div.headMainS p").first.inner_text().startswith("2026-")
        page.click("div.mordList")
        assert rendered(page) == "more"
        assert page.locator("ul.replyList > li div.tabList h1").all_inner_texts() == [
            item["subject"] for item in first["data"] + second["data"]]

        known = next(m for m in truth(site, 559) if m["stateInfo"] == "已办理" and m["repliesFirst"])
        page.goto(f"{site}/threads/content?tid={known['tid']}")
        assert rendered(page) == "done"
        assert page.inner_text("h1") == known["subject"]
        assert page.inner_text("p.stateInfo") == "已办理"
        assert page.locator("div.replyOrg h4").all_inner_texts() == [r["organization"] for r in known["replies"]]
        # Chinese keywords: the bundle's md5 must hash the param's UTF-8 bytes to match the server.
        page.goto(f"{site}/messageSearch?keywords=" + urllib.parse.quote("噪音 居民"))
        assert rendered(page) == "done"
        found = client.signed("/v2/threads/search?sortType=0", {"keywords": "噪音 居民", "page": 1, "rows": 10})
        assert found["data"]["data"] and page.locator("ul.replyList > li div.tabList h1").all_inner_texts() == [
            item["subject"] for item in found["data"]["data"]]
        page.goto(f"{site}/threads/content?tid=999")
        assert rendered(page) == "notfound"
        assert "页面找不到了！" in page.inner_text("#app")
    finally:
        page.close()


@pytest.mark.browser
def test_the_back_office_work_list_replies_from_chromium(browser: Any, fresh: str) -> None:
    account = next(a for a in control(fresh, "people/accounts") if a["fid"] == 4523)
    target = next(m for m in truth(fresh, 4523) if m["stateInfo"] == "办理中")
    page = browser.new_page()
    try:
        page.goto(f"{fresh}/backoffice/login")
        page.fill("input[name=username]", account["username"])
        page.fill("input[name=password]", account["password"])
        page.fill("input[name=otp]", pyotp.TOTP(account["totp_secret"]).now())
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready=done]", state="attached", timeout=30_000)
        row = page.locator(f"tr[data-tid='{target['tid']}']")
        row.locator("button.replyButton").click()
        form = page.locator("tr.replyRow:not([hidden]) form.replyForm")
        form.locator("textarea").fill("您好，经核查，相关道路已列入本年度维修计划，预计下月完工。")
        form.locator("button[type=submit]").click()
        form.locator(".result").filter(has_text="回复成功").wait_for()
        assert row.locator("td.state").inner_text() == "已办理"
    finally:
        page.close()
    reader = Client(fresh)
    reader.warm_up()
    entries = reader.signed(CONTENT, {"tid": str(target["tid"]), "fromTrash": 0})["resultData"]["contentList"]
    assert [e["organization"] for e in entries if e["dataType"] == 4][-1] == "中共淳安县委办公室"
