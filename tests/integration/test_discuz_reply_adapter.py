"""The Discuz reply adapter against both replica builds: posting, flood control, the rate limit's 429, moderation
(found again by its author, exactly once through a killed push), refusals, sessions."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from adapters.discuz_reply import AjaxAnswer, DiscuzReplyAdapter, OutcomeUnknown, classify, parse_ajax, throttled
from adapters.protocols import OutgoingReply, ReplyAdapter, ReplyOutcome, ReplyReceipt
from harvester.app.replies import Outbox
from harvester.extract.snapshot import Snapshot
from harvester.schema import Message
from harvester.secrets import env_name
from harvester.store.db import Store
from harvester.timeutil import utcnow
from harvester.vocab import Status
from spiders.discuz.options import thread_url
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.localserver import serve_locally
from tests.replicahost import control, replica_process

SITE = {"threads_per_board": 20, "boards": "27", "flood_seconds": 2, "moderate_new": "true"}
STYLE = {"discuz": "rewrite", "discuz_gbk": "dynamic"}
T = TypeVar("T")
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


async def closing(forum: Forum, coroutine: Awaitable[T]) -> T:
    try:
        return await coroutine
    finally:
        await forum.adapter.close()


async def past_the_flood_interval(forum: Forum, reply: OutgoingReply, timeout_s: float = 60.0) -> tuple[ReplyReceipt, int]:
    """Post `reply` until the forum stops refusing it for the flood interval (a refusal stores nothing): the forum
    times the interval on its own clock, so the test waits for its answer, not for a number of seconds. Answers
    the first other receipt and how many flood refusals came before it."""
    deadline, refusals = time.monotonic() + timeout_s, 0
    while True:
        receipt = await forum.adapter.post(reply)
        flood = receipt.outcome is ReplyOutcome.RETRY_LATER and "间隔少于" in receipt.platform_message
        if not flood:
            return receipt, refusals
        refusals += 1
        assert time.monotonic() < deadline, f"the forum still refuses after {refusals} tries: {receipt}"
        await asyncio.sleep(0.2)


def until(condition: Callable[[], T], what: str, timeout_s: float = 60.0) -> T:
    """Poll `condition` until it answers something true, failing after a deadline generous for a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while not (answer := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
    return answer


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
    later, _ = run(closing(forum, past_the_flood_interval(forum, forum.reply(second, "市交通运输局"))))
    assert later.outcome is ReplyOutcome.POSTED
    (after,) = forum.threads(lambda t: t["tid"] == second["tid"])
    assert [p["message"] for p in after["posts"] if p["author"] == "市交通运输局"] == [TEXT]  # refusals stored nothing


def test_a_429_from_the_rate_limit_is_retry_later_with_its_wait_and_stores_nothing(forums: dict[str, str]) -> None:
    forum = Forum("discuz_gbk", forums["discuz_gbk"])
    thread = forum.threads(lambda t: not t["readperm"])[11]
    control(forum.base, "discuz/faults", {"reply": "429", "retry_after": 7})
    limited, posted = run(posting(forum, forum.reply(thread, "市卫健委"), forum.reply(thread, "市卫健委")))
    assert (limited.outcome, limited.retry_after_s, limited.platform_reply_id) == (ReplyOutcome.RETRY_LATER, 7.0, None)
    assert "HTTP 429" in limited.platform_message
    assert posted.outcome is ReplyOutcome.POSTED  # the forum never saw the first: no flood interval either
    (after,) = forum.threads(lambda t: t["tid"] == thread["tid"])
    assert [p["message"] for p in after["posts"] if p["author"] == "市卫健委"] == [TEXT]


def test_a_429_retry_after_may_be_a_date() -> None:
    when = format_datetime(utcnow() + timedelta(minutes=2), usegmt=True)
    limited = throttled(Snapshot(url="http://forum/post", status=429, body=b"", fetched_at=utcnow(),
                                 headers={"retry-after": when}))
    assert limited is not None and limited.outcome is ReplyOutcome.RETRY_LATER
    assert limited.retry_after_s is not None and 100 < limited.retry_after_s <= 120
    assert throttled(Snapshot(url="http://forum/post", status=503, body=b"", fetched_at=utcnow())) is None


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
            receipts.append((await past_the_flood_interval(forum, forum.reply(second, "市生态环境局")))[0])
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


# --- replies waiting for moderation: exactly once --------------------------------------------------------
def newcomers(forum: Forum) -> list[str]:
    return [name for name, a in forum.accounts.items() if a["group"] == "新手上路"]


def queued_by(forum: Forum, tid: int, author: str) -> list[dict[str, Any]]:
    (thread,) = forum.threads(lambda t: t["tid"] == tid)
    return [p for p in thread["posts"] if p["author"] == author]


@pytest.mark.parametrize("name", list(STYLE))
def test_a_reply_waiting_for_moderation_is_found_by_its_author_and_seen_by_nobody_else(
        forums: dict[str, str], name: str) -> None:
    forum = Forum(name, forums[name])
    author, thread = newcomers(forum)[1], forum.threads(lambda t: not t["readperm"])[8]
    reply = forum.reply(thread, author)

    async def scenario() -> tuple[ReplyReceipt, ReplyReceipt | None, ReplyReceipt | None, ReplyReceipt | None]:
        try:
            sent = await forum.adapter.post(reply)
            found = await forum.adapter.find_existing(reply)
            await forum.adapter.close()  # as a rerun in a new process would: a new login
            again = await forum.adapter.find_existing(reply)
            elsewhere = await forum.adapter.find_existing(forum.reply(thread, forum.member("注册会员")))
            return sent, found, again, elsewhere
        finally:
            await forum.adapter.close()

    sent, found, again, elsewhere = run(scenario())
    (queued,) = queued_by(forum, thread["tid"], author)
    assert queued["moderated"] and sent.outcome is ReplyOutcome.PENDING_MODERATION
    assert sent.platform_reply_id is None  # the forum's answer names no post
    assert found == again and found is not None
    assert (found.outcome, found.platform_reply_id) == (ReplyOutcome.PENDING_MODERATION, str(queued["pid"]))
    assert elsewhere is None  # another member's thread page does not show it
    charset = "gbk" if name == "discuz_gbk" else "utf-8"
    with urllib.request.urlopen(reply.message_url, timeout=10) as response:  # noqa: S310 - loopback
        guest = response.read().decode(charset)
    assert "postlist" in guest and f"post_{queued['pid']}" not in guest and TEXT.splitlines()[0] not in guest

    control(forum.base, "discuz/approve", {"pids": [queued["pid"]]})
    (published,) = run(looking(forum, reply))
    assert published is not None
    assert (published.outcome, published.platform_reply_id) == (ReplyOutcome.POSTED, str(queued["pid"]))


async def looking(forum: Forum, *replies: OutgoingReply) -> list[ReplyReceipt | None]:
    try:
        return [await forum.adapter.find_existing(reply) for reply in replies]
    finally:
        await forum.adapter.close()


class CookieDropper:
    """A proxy in front of the forum that, when armed, forwards one thread-page GET without the visitor's
    cookies (the forum then serves it to a guest), as when a session ends in the middle of a lookup."""

    def __init__(self, target: str) -> None:
        self.target, self.skip, self.drop = target, 0, 0

    async def start(self) -> str:
        self.client = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        self.runner, url = await serve_locally(self.handle)
        return url

    async def close(self) -> None:
        await self.client.close()
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "transfer-encoding", "connection")}
        if request.method == "GET" and "thread" in request.path_qs and self.drop:
            if self.skip:
                self.skip -= 1
            else:
                self.drop -= 1
                headers.pop("Cookie", None)
        async with self.client.request(request.method, self.target + request.path_qs, data=await request.read(),
                                       headers=headers, allow_redirects=False) as upstream:
            body = await upstream.read()
            kept = {k: v for k, v in upstream.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
            response = web.Response(status=upstream.status, body=body)
            for key, value in kept.items():
                response.headers.add(key, value)
            return response


def test_a_lookup_served_to_a_guest_midway_is_unknown_not_absent(forums: dict[str, str]) -> None:
    forum = Forum("discuz", forums["discuz"])
    author, thread = newcomers(forum)[2], forum.threads(lambda t: not t["readperm"])[9]
    proxy = CookieDropper(forum.base)

    async def scenario() -> tuple[ReplyReceipt, ReplyReceipt | None, BaseException | None]:
        base = await proxy.start()
        adapter = DiscuzReplyAdapter(base, forum.credentials)
        reply = dataclasses.replace(forum.reply(thread, author),
                                    message_url=thread_url(base, str(thread["tid"]), 1, STYLE["discuz"]))
        try:
            sent = await adapter.post(reply)
            found = await adapter.find_existing(reply)
            proxy.skip, proxy.drop = 1, 1  # the lookup's login check passes, its first page read goes out as a guest
            try:
                await adapter.find_existing(reply)
            except OutcomeUnknown as error:
                return sent, found, error
            return sent, found, None
        finally:
            await adapter.close()
            await proxy.close()

    sent, found, lost = run(scenario())
    assert sent.outcome is ReplyOutcome.PENDING_MODERATION
    assert found is not None and found.outcome is ReplyOutcome.PENDING_MODERATION
    assert isinstance(lost, OutcomeUnknown) and "no longer sees this account" in str(lost)
    assert proxy.drop == 0


def test_a_push_killed_after_a_moderated_post_finds_it_on_the_rerun_and_posts_once(
        forums: dict[str, str], tmp_path: Path, sqlite_url: str) -> None:
    forum = Forum("discuz", forums["discuz"])
    author, thread = newcomers(forum)[3], forum.threads(lambda t: not t["readperm"])[10]
    tid, slug, key = str(thread["tid"]), "discuz_demo", "newbie"
    text = "新用户的答复：已向社区反映，等待处理结果。"
    store = Store.open(sqlite_url)
    with store.transaction() as repo:
        run_id = repo.start_run(slug, os.getpid())
        repo.upsert_messages([Message(
            platform=slug, external_id=tid, url=thread_url(forum.base, tid, 1, "rewrite"), board_id="27",
            addressee="网络问政", title=thread["subject"], body=thread["posts"][0]["message"], status=Status.PENDING,
            status_raw="待回复", posted_at=datetime.fromisoformat(thread["posted_at"]), fetched_at=utcnow())],
            run_id, utcnow())
        repo.finish_run(run_id, "succeeded", {})
    box = Outbox(store)
    draft = box.add(slug, tid, text, author, key, "oa-system")
    reply_id = box.approve(draft.id, "张科长", content_hash=draft.content_hash).id
    config = write_config(tmp_path, sqlite_url, {slug: forum.base})
    secrets = {env_name(slug, key, "username"): author, env_name(slug, key, "password"): forum.accounts[author]["password"]}
    command = [sys.executable, "-m", "harvester.app.cli.replies", "push"]
    # Discuz queues the reply, then the gateway sits on the answer: the push waits between the forum taking the
    # reply and the store recording it, far longer than the moment the test needs to kill it there.
    control(forum.base, "discuz/faults", {"reply": "hold", "hold_s": 300})
    log = tmp_path / "doomed-push.log"
    with log.open("wb") as output:
        doomed = subprocess.Popen(command, cwd=ROOT, env=harvester_env(config, **secrets), stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        waited = until(lambda: queued_by(forum, thread["tid"], author) or doomed.poll() is not None,
                       "the forum to queue the reply")
        assert waited and doomed.poll() is None, log.read_text(errors="replace")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)  # after the forum queued it, before the store knew
        doomed.wait()
        control(forum.base, "discuz/faults", {"disarm": True})
    (queued,) = queued_by(forum, thread["tid"], author)
    assert queued["moderated"] and queued["message"] == text
    assert box.get(reply_id).state == "sending"

    rerun = subprocess.run(command, cwd=ROOT, env=harvester_env(config, **secrets), capture_output=True, text=True,
                           timeout=90)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert [(p["pid"], p["moderated"]) for p in queued_by(forum, thread["tid"], author)] == [(queued["pid"], True)]
    view = box.get(reply_id)
    assert (view.state, view.platform_reply_id, view.attempts) == ("posted_pending_moderation", str(queued["pid"]), 1)
    steps = [f"{e.to_state}: {e.detail}" for e in box.history(reply_id)]
    assert any("taken over" in s for s in steps) and "found on the platform" in steps[-1], steps
    assert forum.accounts[author]["password"] not in rerun.stdout + rerun.stderr
    store.close()


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
