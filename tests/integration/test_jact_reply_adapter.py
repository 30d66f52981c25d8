"""The jact reply adapter driving the replica's back office in Chromium: post, refusals, re-login, faults (5xx,
the rate limit's 429)."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from parsel import Selector

from adapters.browser import PlaywrightFetchAdapter
from adapters.jact_reply import JactReplyAdapter, OutcomeUnknown
from adapters.protocols import FetchRequest, OutgoingReply, ReplyAdapter, ReplyOutcome, ReplyReceipt
from tests.loopthread import LoopThread
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.browser



class Desk:
    """The test's handle on one unit's back office: the adapter, the replica's truth, and OutgoingReply making."""

    def __init__(self, loop: LoopThread, base: str, fetcher: PlaywrightFetchAdapter) -> None:
        self.loop, self.base, self.fetcher = loop, base, fetcher
        self.accounts = {a["username"]: a for a in control(base, "jact/accounts")}
        self.unit = busiest_unit(self.letters())
        self.account = next(name for name, a in self.accounts.items() if a["unit"] == self.unit)
        self.adapter = JactReplyAdapter(base, self.accounts.__getitem__, fetcher)
        self.used: set[int] = set()

    def letters(self) -> dict[int, dict[str, Any]]:
        return {x["id"]: x for x in control(self.base, "jact/letters")}

    def pick(self, status: str, mine: bool = True) -> dict[str, Any]:
        letter = next(x for x in self.letters().values() if x["status"] == status and x["public"]
                      and (x["unit"] == self.unit) == mine and x["unit"] and x["id"] not in self.used)
        self.used.add(letter["id"])
        return letter

    def outgoing(self, letter: dict[str, Any], text: str, account: str | None = None) -> OutgoingReply:
        return OutgoingReply(reply_id=letter["id"], idempotency_key=f"jact_demo:{letter['id']}:1",
                             platform="jact_demo", external_id=str(letter["id"]),
                             message_url=f"{self.base}/jact/front/mailpubdetail.do?transactId={letter['id']}&sysid=6",
                             board_id="6", organisation=self.unit, account=account or self.account, text=text)

    def post(self, reply: OutgoingReply) -> ReplyReceipt:
        return self.loop.run(self.adapter.post(reply))

    def find(self, reply: OutgoingReply) -> ReplyReceipt | None:
        return self.loop.run(self.adapter.find_existing(reply))

    def replies(self, letter: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.letters()[letter["id"]]["replies"])


def busiest_unit(letters: dict[int, dict[str, Any]]) -> str:
    units = [x["unit"] for x in letters.values() if x["status"] == "办理中" and x["public"]]
    return max(set(units), key=units.count)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    loop = LoopThread()
    fetcher = loop.run(PlaywrightFetchAdapter(max_contexts=1, max_pages=2, timeout_s=10).__aenter__())
    try:
        # 400 letters, so one unit has enough open and answered letters for every test to use its own
        with replica_process(tmp_path_factory.mktemp("jact_reply"), ["jact"], options={"jact": {"letters": 400}}) as urls:
            yield Desk(loop, urls["jact"], fetcher)
    finally:
        loop.run(fetcher.close())
        loop.stop()


def public_cells(base: str, transact_id: int) -> dict[str, str]:
    url = f"{base}/jact/front/mailpubdetail.do?transactId={transact_id}&sysid=6"
    page = Selector(text=urllib.request.urlopen(url, timeout=10).read().decode("utf-8"))
    # label/value cell pairs, one or two a row, the reply's table included (any layout the replica serves)
    return {td.xpath("string()").get("").strip().rstrip("："): td.xpath("string(following-sibling::td[1])").get("")
            for td in page.xpath("//tr/td[position() mod 2 = 1]")}


def test_a_posted_reply_gets_the_platforms_id_and_shows_on_the_public_detail(desk: Desk) -> None:
    assert isinstance(desk.adapter, ReplyAdapter)
    letter = desk.pick("办理中")
    text = f"您好，您反映的问题已转交相关科室，\n我局将于五个工作日内答复。（{desk.unit}）"
    reply = desk.outgoing(letter, text)
    assert desk.find(reply) is None
    receipt = desk.post(reply)
    assert receipt.outcome is ReplyOutcome.POSTED and receipt.platform_reply_id == f"R{letter['id']}01"
    assert receipt.platform_message.startswith("回复成功")
    cells = public_cells(desk.base, letter["id"])
    assert cells["处理状态"] == "已回复" and cells["办理单位"] == desk.unit
    assert cells["回复内容"] == text.replace("\n", "")
    assert [r["text"] for r in desk.replies(letter)] == [text]
    found = desk.find(reply)
    assert found is not None and (found.outcome, found.platform_reply_id) == (receipt.outcome, receipt.platform_reply_id)
    secrets = desk.accounts[desk.account]
    for value in (receipt.raw, receipt.platform_message, found.raw):
        assert secrets["password"] not in value and secrets["totp_secret"] not in value


def test_the_units_letter_list_is_rendered_by_the_page_script(desk: Desk) -> None:
    desk.post(desk.outgoing(desk.pick("已回复"), "列表页检查前的回复。"))  # makes sure the session is live
    snapshot = desk.loop.run(desk.fetcher.fetch(FetchRequest(f"{desk.base}/jact/admin/index.do",
                                                             wait_for="tr.letter-row")))
    rows = Selector(text=snapshot.text).css("tr.letter-row::attr(data-transact-id)").getall()
    assert sorted(map(int, rows)) == sorted(i for i, x in desk.letters().items() if x["unit"] == desk.unit)


def test_each_refusal_ends_rejected_in_the_platforms_words(desk: Desk) -> None:
    letter, closed, other = desk.pick("已回复"), desk.pick("已办结"), desk.pick("办理中", mine=False)
    before = desk.letters()
    cases = [(letter, "", "回复内容不能为空"), (letter, "好" * 2001, "回复内容不能超过2000字"),
             (letter, "请勿传播法轮功相关内容。", "回复内容含有敏感词"),
             (closed, "已处理完毕。", "该信件已办结，不能回复"), (other, "越权回复。", "无权回复该信件")]
    for target, text, words in cases:
        receipt = desk.post(desk.outgoing(target, text))
        assert (receipt.outcome, receipt.platform_message, receipt.platform_reply_id) == (
            ReplyOutcome.REJECTED, words, None), words
    assert desk.find(desk.outgoing(other, "越权回复。")) is None
    assert desk.letters() == before


def test_an_expired_session_logs_in_again_and_posts_once(desk: Desk) -> None:
    letter = desk.pick("已回复")
    desk.post(desk.outgoing(desk.pick("已回复"), "先登录一次。"))
    before = len(desk.replies(letter))
    assert control(desk.base, "jact/expire-sessions", {})["expired"] >= 1
    receipt = desk.post(desk.outgoing(letter, "会话过期后重新登录的回复。"))
    assert receipt.outcome is ReplyOutcome.POSTED
    # the session now ends while the form is on its way: the login page answers the submit
    control(desk.base, "jact/faults", {"before_store": "expire"})
    receipt = desk.post(desk.outgoing(letter, "提交时会话过期的回复。"))
    assert receipt.outcome is ReplyOutcome.POSTED
    texts = [r["text"] for r in desk.replies(letter)]
    assert len(texts) == before + 2 and texts[-2:] == ["会话过期后重新登录的回复。", "提交时会话过期的回复。"]


def test_wrong_credentials_end_auth_expired_without_echoing_them(desk: Desk) -> None:
    letter = desk.pick("已回复")
    real = desk.accounts[desk.account]
    cases = {"用户名或密码错误": {**real, "password": "not-the-password"},
             "动态口令错误": {**real, "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}}
    for words, credentials in cases.items():
        adapter = JactReplyAdapter(desk.base, always(credentials), desk.fetcher)
        receipt = desk.loop.run(adapter.post(desk.outgoing(letter, "不应发出的回复。")))
        assert (receipt.outcome, receipt.platform_message) == (ReplyOutcome.AUTH_EXPIRED, words)
        assert credentials["password"] not in receipt.raw and credentials["totp_secret"] not in receipt.raw
        with pytest.raises(OutcomeUnknown, match=words):
            desk.loop.run(adapter.find_existing(desk.outgoing(letter, "不应发出的回复。")))
    assert "不应发出的回复。" not in [r["text"] for r in desk.replies(letter)]


def always(credentials: dict[str, str]) -> Callable[[str], dict[str, str]]:
    return lambda _account: credentials


def careful_retry(desk: Desk, reply: OutgoingReply) -> ReplyReceipt:
    """What the caller does after an unknown outcome: look first, post again only if certainly absent."""
    return desk.find(reply) or desk.post(reply)


@pytest.mark.parametrize("fault", ["502", "close"])
def test_a_failure_after_store_is_unknown_and_find_existing_prevents_a_second_post(desk: Desk, fault: str) -> None:
    letter = desk.pick("已回复")
    before = len(desk.replies(letter))
    reply = desk.outgoing(letter, f"网关故障（{fault}）时提交的回复。")
    control(desk.base, "jact/faults", {"after_store": fault, "count": 1})
    with pytest.raises(OutcomeUnknown):
        desk.post(reply)
    receipt = careful_retry(desk, reply)
    stored = desk.replies(letter)
    assert receipt.outcome is ReplyOutcome.POSTED and receipt.platform_reply_id == stored[-1]["reply_id"]
    assert len(stored) == before + 1 and [r["text"] for r in stored].count(reply.text) == 1


def test_a_busy_503_before_store_is_retry_later_and_a_502_is_unknown(desk: Desk) -> None:
    letter = desk.pick("已回复")
    before = len(desk.replies(letter))
    reply = desk.outgoing(letter, "系统繁忙时提交的回复。")
    control(desk.base, "jact/faults", {"before_store": "503", "count": 2})
    for _ in range(2):
        receipt = desk.post(reply)
        assert (receipt.outcome, receipt.retry_after_s) == (ReplyOutcome.RETRY_LATER, 30)
        assert receipt.platform_message == "系统繁忙，请稍后再试" and receipt.platform_reply_id is None
    assert len(desk.replies(letter)) == before
    control(desk.base, "jact/faults", {"before_store": "502", "count": 1})
    with pytest.raises(OutcomeUnknown, match="HTTP 502"):
        desk.post(reply)
    assert desk.find(reply) is None  # a 502 before the store left nothing: the careful caller posts again
    receipt = careful_retry(desk, reply)
    assert receipt.outcome is ReplyOutcome.POSTED
    assert [r["text"] for r in desk.replies(letter)].count(reply.text) == 1


def test_a_429_from_the_rate_limit_is_retry_later_with_its_wait_and_stores_nothing(desk: Desk) -> None:
    letter = desk.pick("已回复")
    before = len(desk.replies(letter))
    reply = desk.outgoing(letter, "操作频繁被限流后提交的回复。")
    control(desk.base, "jact/faults", {"before_store": "429", "retry_after": 7})
    receipt = desk.post(reply)
    assert (receipt.outcome, receipt.retry_after_s, receipt.platform_reply_id) == (ReplyOutcome.RETRY_LATER, 7, None)
    assert receipt.platform_message == "您的操作过于频繁，请稍后再试"
    assert len(desk.replies(letter)) == before and desk.find(reply) is None
    assert desk.post(reply).outcome is ReplyOutcome.POSTED
    assert [r["text"] for r in desk.replies(letter)].count(reply.text) == 1
