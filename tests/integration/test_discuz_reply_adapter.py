"""The Discuz reply adapter against both replica builds: posting, flood control, moderation, refusals, sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.discuz_reply import AjaxAnswer, DiscuzReplyAdapter, OutcomeUnknown, classify, parse_ajax
from adapters.protocols import OutgoingReply, ReplyAdapter, ReplyOutcome, ReplyReceipt
from harvester.extract.snapshot import Snapshot
from harvester.store.db import Store
from spiders.discuz.options import thread_url
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SITE = {"threads_per_board": 20, "boards": "27", "flood_seconds": 2, "moderate_new": "true"}
STYLE = {"discuz": "rewrite", "discuz_gbk": "dynamic"}
TEXT = "网友您好！您反映的问题已收悉，我局已派人现场核查。\n整改将于三个工作日内完成，感谢您的监督。"


@pytest.fixture(scope="module")
def forums(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("discuz"), list(STYLE), options={n: SITE for n in STYLE}) as urls:
        yield urls


class Forum:
    """One replica build as a test sees it: accounts, open threads, and an adapter to post with."""

    def __init__(self, name: str, base: str) -> None:
        self.name, self.base = name, base
        self.accounts = {a["username"]: a for a in control(base, "discuz/accounts")}
        self.adapter = DiscuzReplyAdapter(base, self.credentials)
        self.wrong: set[str] = set()

    def credentials(self, account: str) -> dict[str, str]:
        password = "wrong-password" if account in self.wrong else self.accounts[account]["password"]
        return {"username": account, "password": password}

    def threads(self, test: Any = lambda t: True) -> list[dict[str, Any]]:
        return [t for t in control(self.base, "discuz/threads?fid=27")
                if not t["pinned"] and not t["closed"] and test(t)]

    def reply(self, thread: dict[str, Any], account: str, text: str = TEXT) -> OutgoingReply:
        tid = str(thread["tid"])
        return OutgoingReply(reply_id=thread["tid"], idempotency_key=f"k{tid}", platform=self.name, external_id=tid,
                             message_url=thread_url(self.base, tid, 1, STYLE[self.name]), board_id="27",
                             organisation=account, account=account, text=text)

    def post(self, pid: str) -> dict[str, Any]:
        return next(p for t in control(self.base, "discuz/threads?fid=27") for p in t["posts"] if str(p["pid"]) == pid)

    def member(self, group: str) -> str:
        return next(name for name, a in self.accounts.items() if a["group"] == group)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def posting(forum: Forum, *replies: OutgoingReply) -> list[ReplyReceipt]:
    try:
        return [await forum.adapter.post(reply) for reply in replies]
    finally:
        await forum.adapter.close()


@pytest.mark.parametrize("name", list(STYLE))
def test_posts_arrive_undamaged_and_are_found_again(forums: dict[str, str], name: str) -> None:
    forum = Forum(name, forums[name])
    assert isinstance(forum.adapter, ReplyAdapter)
    thread, other = forum.threads(lambda t: not t["readperm"])[:2]

    async def scenario() -> tuple[ReplyReceipt, ReplyReceipt | None, ReplyReceipt | None]:
        try:
            posted = await forum.adapter.post(forum.reply(thread, "区住建局"))
            return (posted, await forum.adapter.find_existing(forum.reply(thread, "区住建局")),
                    await forum.adapter.find_existing(forum.reply(other, "区住建局")))
        finally:
            await forum.adapter.close()

    posted, found, absent = run(scenario())
    assert posted.outcome is ReplyOutcome.POSTED and posted.platform_reply_id, posted
    stored = forum.post(posted.platform_reply_id)
    assert (stored["author"], stored["message"], stored["official"]) == ("区住建局", TEXT, True)
    assert found is not None and found.platform_reply_id == posted.platform_reply_id
    assert absent is None


def test_flood_interval_answers_retry_later_with_the_wait(forums: dict[str, str]) -> None:
    forum = Forum("discuz_gbk", forums["discuz_gbk"])
    first, second = forum.threads(lambda t: not t["readperm"])[2:4]
    posted, refused = run(posting(forum, forum.reply(first, "市交通运输局"), forum.reply(second, "市交通运输局")))
    assert posted.outcome is ReplyOutcome.POSTED
    assert (refused.outcome, refused.retry_after_s) == (ReplyOutcome.RETRY_LATER, 2.0)
    assert "间隔少于 2 秒" in refused.platform_message
    (unchanged,) = forum.threads(lambda t: t["tid"] == second["tid"])
    assert unchanged["posts"] == second["posts"]  # refused: nothing stored
    asyncio.run(asyncio.sleep(refused.retry_after_s or 0))
    (later,) = run(posting(forum, forum.reply(second, "市交通运输局")))
    assert later.outcome is ReplyOutcome.POSTED


def test_a_new_members_reply_waits_for_moderation(forums: dict[str, str]) -> None:
    forum = Forum("discuz", forums["discuz"])
    newcomer = forum.member("新手上路")
    thread = forum.threads(lambda t: not t["readperm"])[4]
    (receipt,) = run(posting(forum, forum.reply(thread, newcomer)))
    assert receipt.outcome is ReplyOutcome.PENDING_MODERATION and "审核" in receipt.platform_message
    queued = [p for t in forum.threads(lambda t: t["tid"] == thread["tid"]) for p in t["posts"] if p["moderated"]]
    assert [(p["author"], p["message"]) for p in queued] == [(newcomer, TEXT)]


def test_read_permission_is_rejected_in_the_forums_words(forums: dict[str, str]) -> None:
    forum = Forum("discuz_gbk", forums["discuz_gbk"])
    (protected,) = forum.threads(lambda t: t["readperm"] > 0)
    (receipt,) = run(posting(forum, forum.reply(protected, forum.member("注册会员"))))
    assert receipt.outcome is ReplyOutcome.REJECTED
    assert "阅读权限高于 30" in receipt.platform_message


def test_an_expired_session_logs_in_again_and_a_bad_password_is_auth_expired(forums: dict[str, str]) -> None:
    forum = Forum("discuz", forums["discuz"])
    first, second = forum.threads(lambda t: not t["readperm"])[5:7]

    async def scenario() -> list[ReplyReceipt]:
        try:
            receipts = [await forum.adapter.post(forum.reply(first, "市生态环境局"))]
            control(forum.base, "discuz/expire-sessions", {})
            await asyncio.sleep(2)
            receipts.append(await forum.adapter.post(forum.reply(second, "市生态环境局")))
            forum.wrong.add("市教育局")
            receipts.append(await forum.adapter.post(forum.reply(second, "市教育局")))
            return receipts
        finally:
            await forum.adapter.close()

    before, after, wrong = run(scenario())
    assert before.outcome is ReplyOutcome.POSTED and after.outcome is ReplyOutcome.POSTED
    assert forum.post(after.platform_reply_id or "")["author"] == "市生态环境局"
    assert wrong.outcome is ReplyOutcome.AUTH_EXPIRED and "登录失败" in wrong.platform_message
    assert "wrong-password" not in wrong.raw + wrong.platform_message


def test_the_next_harvest_stores_the_posted_reply_as_official(forums: dict[str, str], tmp_path: Path,
                                                               sqlite_url: str) -> None:
    forum = Forum("discuz_gbk", forums["discuz_gbk"])
    config = write_config(tmp_path, sqlite_url, {"discuz_demo_gbk": forum.base})
    assert harvest(config).returncode == 0
    with Store.open(sqlite_url).transaction() as repo:
        seq = repo.events_since(0, limit=100_000)[-1]["seq"]
    thread = forum.threads(lambda t: not t["readperm"] and not any(p["official"] for p in t["posts"]))[-1]
    (receipt,) = run(posting(forum, forum.reply(thread, "市长信箱办公室")))
    assert receipt.outcome is ReplyOutcome.POSTED
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    with Store.open(sqlite_url).transaction() as repo:
        message = repo.get_message("discuz_demo_gbk", str(thread["tid"]))
        fresh = repo.events_since(seq, limit=1000)
    assert message is not None and message["status"] == "replied"
    reply = message["replies"][-1]
    assert (reply["external_id"], reply["text"], reply["official"]) == (receipt.platform_reply_id, TEXT, True)
    assert reply["organisation"] == "绵州市人民政府办公室"
    assert {(e["kind"], e["external_id"]) for e in fresh} >= {("reply_added", str(thread["tid"])),
                                                             ("status_changed", str(thread["tid"]))}


# --- answers as the forum words them ---------------------------------------------------------------
def xml(charset: str, inner: str) -> Snapshot:
    body = f'<?xml version="1.0" encoding="{charset}"?>\n<root><![CDATA[{inner}]]></root>'.encode(charset)
    return Snapshot(url="http://forum/post", status=200, body=body, fetched_at=datetime.now(UTC),
                    headers={"content-type": "application/xml"})


def error_answer(text: str) -> AjaxAnswer:
    return parse_ajax(xml("gbk", f"{text}<script>errorhandle_fastpost('{text}', {{}});</script>"))


def test_the_xml_charset_comes_from_its_declaration() -> None:
    answer = parse_ajax(xml("gbk", "非常感谢<script>if(typeof succeedhandle_fastpost=='function') "
                                   "{succeedhandle_fastpost('forum.php?mod=viewthread&tid=9&pid=77#pid77', "
                                   "'非常感谢，回复发布成功', {'pid':'77'});}</script>"))
    assert answer == AjaxAnswer(True, "非常感谢，回复发布成功", "forum.php?mod=viewthread&tid=9&pid=77#pid77")
    assert classify(answer) == ReplyReceipt(ReplyOutcome.POSTED, "77", "非常感谢，回复发布成功",
                                            raw="非常感谢，回复发布成功")


@pytest.mark.parametrize(("text", "outcome", "wait"), [
    ("抱歉，您两次发表间隔少于 15 秒，请稍候再发表", ReplyOutcome.RETRY_LATER, 15.0),
    ("抱歉，您所在的用户组每小时限制发回帖 30 个，请稍候再发表", ReplyOutcome.RETRY_LATER, 3600.0),
    ("回复需要审核，请等待通过", ReplyOutcome.PENDING_MODERATION, None),
    ("抱歉，本主题已关闭，不再接受新内容", ReplyOutcome.REJECTED, None),
    ("抱歉，验证码填写错误", ReplyOutcome.REJECTED, None),
])
def test_refusals_map_to_outcomes(text: str, outcome: ReplyOutcome, wait: float | None) -> None:
    receipt = classify(error_answer(text))
    assert receipt is not None and (receipt.outcome, receipt.retry_after_s, receipt.platform_message) == (
        outcome, wait, text)


@pytest.mark.parametrize("text", ["您还未登录，不能回复", "您的请求来路不正确或表单验证串不符，无法提交"])
def test_a_lost_session_asks_for_a_new_login(text: str) -> None:
    assert classify(error_answer(text)) is None


def test_an_answer_that_is_not_inajax_is_an_unknown_outcome() -> None:
    with pytest.raises(OutcomeUnknown, match="no inajax handler"):
        parse_ajax(xml("utf-8", "<html>502 Bad Gateway</html>"))
