"""The 领导留言板 reply adapter driving the units' back office in Chromium: a posted reply comes back in the next
harvest as the official reply with status 已办理; refusals, logins, account switches, no double posts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.browser import PlaywrightFetchAdapter
from adapters.people_reply import NOT_THIS_UNIT, OutcomeUnknown, PeopleReplyAdapter
from adapters.protocols import OutgoingReply, ReplyAdapter, ReplyOutcome, ReplyReceipt
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.integration.test_people_harvest import SLUG, stored
from tests.loopthread import LoopThread
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.browser
TEXT = "尊敬的网友您好：您反映的问题已收悉，我单位已会同属地街道现场核查，\n整改将于五个工作日内完成，感谢您的监督。"



class Office:
    """The test's handle on the back office: the adapter, the replica's truth, and OutgoingReply making."""

    def __init__(self, loop: LoopThread, base: str, fetcher: PlaywrightFetchAdapter) -> None:
        self.loop, self.base, self.fetcher = loop, base, fetcher
        self.accounts = {a["username"]: a for a in control(base, "people/accounts")}
        self.adapter = PeopleReplyAdapter(base, self.accounts.__getitem__, fetcher)
        self.used: set[int] = set()

    def account(self, fid: int) -> str:
        return next(name for name, a in self.accounts.items() if a["fid"] == fid)

    def messages(self) -> dict[int, dict[str, Any]]:
        return {m["tid"]: m for m in control(self.base, "people/messages")}

    def pick(self, fid: int, states: tuple[str, ...] = ("待回复", "办理中", "已办理")) -> dict[str, Any]:
        message = next(m for m in self.messages().values()
                       if m["fid"] == fid and m["stateInfo"] in states and m["tid"] not in self.used)
        self.used.add(message["tid"])
        return message

    def outgoing(self, message: dict[str, Any], text: str, account: str) -> OutgoingReply:
        return OutgoingReply(reply_id=message["tid"], idempotency_key=f"{SLUG}:{message['tid']}:1", platform=SLUG,
                             external_id=str(message["tid"]),
                             message_url=f"{self.base}/threads/content?tid={message['tid']}",
                             board_id=str(message["fid"]), organisation=self.accounts[account]["unit"],
                             account=account, text=text)

    def post(self, reply: OutgoingReply, adapter: PeopleReplyAdapter | None = None) -> ReplyReceipt:
        return self.loop.run((adapter or self.adapter).post(reply))

    def find(self, reply: OutgoingReply, adapter: PeopleReplyAdapter | None = None) -> ReplyReceipt | None:
        return self.loop.run((adapter or self.adapter).find_existing(reply))

    def replies(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.messages()[message["tid"]]["replies"])


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    loop = LoopThread()
    fetcher = loop.run(PlaywrightFetchAdapter(max_contexts=1, max_pages=2, timeout_s=15).__aenter__())
    options = {"people": {"boards": 2, "per_board": 8, "rate_per_s": 0}}
    try:
        with replica_process(tmp_path_factory.mktemp("people_reply"), ["people"], options=options) as urls:
            yield Office(loop, urls["people"], fetcher)
    finally:
        loop.run(fetcher.close())
        loop.stop()


def test_a_posted_reply_is_harvested_as_the_official_reply_with_status_handled(office: Office, tmp_path: Path,
                                                                               sqlite_url: str) -> None:
    assert isinstance(office.adapter, ReplyAdapter)
    config = write_config(tmp_path, sqlite_url, {SLUG: office.base}, overrides={SLUG: {"download_delay": 0}})
    assert harvest(config).returncode == 0
    message, account = office.pick(559, ("待回复",)), office.account(559)
    assert stored(sqlite_url)[str(message["tid"])]["status_raw"] == "待回复"
    reply = office.outgoing(message, TEXT, account)
    assert office.find(reply) is None
    receipt = office.post(reply)
    assert (receipt.outcome, receipt.platform_message) == (ReplyOutcome.POSTED, "回复成功")
    found = office.find(reply)
    assert found is not None and (found.outcome, found.platform_reply_id) == (ReplyOutcome.POSTED,
                                                                              receipt.platform_reply_id)
    secrets = office.accounts[account]
    assert secrets["password"] not in receipt.raw and secrets["totp_secret"] not in receipt.raw

    result = harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    harvested = stored(sqlite_url)[str(message["tid"])]
    assert (harvested["status"], harvested["status_raw"]) == ("replied", "已办理")
    official = harvested["replies"][-1]
    assert (official["external_id"], official["organisation"], official["text"], official["official"]) == (
        receipt.platform_reply_id, office.accounts[account]["unit"], TEXT.strip(), True)
    with Store.open(sqlite_url).transaction() as repo:
        kinds = {e["kind"] for e in repo.events_since(0, limit=100_000) if e["external_id"] == str(message["tid"])}
    assert {"created", "status_changed", "reply_added"} <= kinds


def test_refusals_come_back_rejected_in_the_back_offices_words(office: Office) -> None:
    account = office.account(559)
    mine, other = office.pick(559), office.pick(1007)
    before = (office.replies(mine), office.replies(other))
    short = office.post(office.outgoing(mine, "已收到。", account))
    assert (short.outcome, short.platform_message, short.platform_reply_id) == (
        ReplyOutcome.REJECTED, "回复内容不能少于10个字", None)
    foreign = office.outgoing(other, TEXT, account)
    refused = office.post(foreign)
    assert (refused.outcome, refused.platform_message) == (ReplyOutcome.REJECTED, NOT_THIS_UNIT)
    assert office.find(foreign) is None
    assert (office.replies(mine), office.replies(other)) == before


def test_wrong_credentials_end_auth_expired_without_echoing_them(office: Office) -> None:
    account = office.account(559)
    message = office.pick(559)
    before, real = office.replies(message), office.accounts[account]
    for wrong in ({**real, "password": "not-the-password"}, {**real, "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}):
        adapter = PeopleReplyAdapter(office.base, lambda _account, c=wrong: c, office.fetcher)
        receipt = office.post(office.outgoing(message, "不应发出的回复，不应发出。", account), adapter)
        assert (receipt.outcome, receipt.platform_message) == (ReplyOutcome.AUTH_EXPIRED,
                                                               "登录失败：用户名、密码或动态口令错误")
        assert wrong["password"] not in receipt.raw and wrong["totp_secret"] not in receipt.raw
        with pytest.raises(OutcomeUnknown, match="登录失败"):
            office.find(office.outgoing(message, "不应发出的回复，不应发出。", account), adapter)
    assert office.replies(message) == before


def test_each_account_posts_as_its_own_unit_and_a_careful_retry_never_posts_twice(office: Office) -> None:
    posted = []
    for fid in (1007, 559, 1007):
        account = office.account(fid)
        message = office.pick(fid)
        before = office.replies(message)
        reply = office.outgoing(message, f"{office.accounts[account]['unit']}答复：{TEXT}", account)
        receipt = office.post(reply)
        again = office.find(reply) or office.post(reply)  # what a caller does after an unknown outcome
        assert again.platform_reply_id == receipt.platform_reply_id
        posted.append((message, account, receipt, before))
    for message, account, receipt, before in posted:
        added = office.replies(message)[len(before):]
        assert [(r["answerId"], r["organization"]) for r in added] == [
            (int(receipt.platform_reply_id or 0), office.accounts[account]["unit"])]
        assert office.messages()[message["tid"]]["stateInfo"] == "已办理"
