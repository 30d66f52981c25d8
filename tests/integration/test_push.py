"""`harvester push` against the replicas: exactly once through 5xx, 429s, timeouts, unknown outcomes, refusals,
floods, expired or refused logins, the attempt cap, staging, a SIGKILL between post and record, and confirmation."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from rich.console import Console
from sqlalchemy import update

from adapters.browser import PlaywrightFetchAdapter
from harvester import logsafety
from harvester.app.replies import Outbox
from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.demo import push_demo_reply, report_demo_reply
from harvester.app.replies.push import Pusher, PushResult
from harvester.app.replies.retry import RetryPolicy
from harvester.app.replies.settings import ReplyConfig, load_reply_config
from harvester.config import ConfigError, load_config
from harvester.logsafety import PersonalDataFilter
from harvester.registry import load_platforms
from harvester.schema import BoardCursor, Message
from harvester.secrets import MissingCredentials, Secrets, env_name
from harvester.store.db import Store
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from harvester.vocab import Status
from spiders.discuz.options import thread_url
from spiders.jact.pages import detail_url
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.localserver import serve_locally
from tests.loopthread import LoopThread
from tests.replicahost import control, replica_process

DISCUZ, JACT = "discuz_demo", "jact_demo"
# The forum's flood interval runs on real time: long enough that two posts in a row fall inside it on a loaded
# machine too, short enough for a push to wait it out inline (FAST.max_inline_wait_s).
FLOOD_S = 3
SITE = {"threads_per_board": 20, "boards": "27", "flood_seconds": FLOOD_S, "moderate_new": "true"}
# account key (ASCII, names the credentials) -> forum username; the UTF-8 definition files answers under it
OFFICIALS = {"mayor": "市长信箱办公室", "zjj": "区住建局", "jtj": "市交通运输局", "sthj": "市生态环境局", "jyj": "市教育局",
             "gaj": "市公安局", "wjw": "市卫健委", "rsj": "市人社局", "nync": "市农业农村局"}
FAST = RetryPolicy(max_attempts=3, attempts_per_push=3, backoff_initial_s=0.05, backoff_max_s=0.2,
                   max_inline_wait_s=3, auth_retry_after_s=600)


# --- the forum, and a proxy in front of it that breaks reply POSTs on demand -------------------------------

class FaultProxy:
    """Forwards everything to the forum; an armed fault answers the next reply POST with a 5xx, either
    instead of forwarding it ("before": nothing stored) or after the forum stored it ("after")."""

    HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}

    def __init__(self, loop: LoopThread, target: str) -> None:
        self.target, self.forwarded, self.refused = target, 0, 0
        self.faults: list[tuple[str, int]] = []  # (when: "before" | "after", HTTP status)
        self.url = loop.run(self._start())

    async def _start(self) -> str:
        self.client = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)
        self.runner, url = await serve_locally(self.handle)
        return url

    async def close(self) -> None:
        await self.client.close()
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        is_reply = request.method == "POST" and request.query.get("action") == "reply"
        fault = self.faults.pop(0) if is_reply and self.faults else None
        if fault is not None and fault[0] == "before":
            self.refused += 1
            return web.Response(status=fault[1], text="502 Bad Gateway")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self.HOP | {"host"}}
        async with self.client.request(request.method, self.target + request.path_qs, data=await request.read(),
                                       headers=headers, allow_redirects=False) as upstream:
            body = await upstream.read()
            self.forwarded += is_reply
            if fault is not None:
                return web.Response(status=fault[1], text="502 Bad Gateway")
            kept = CIMultiDict((k, v) for k, v in upstream.headers.items() if k.lower() not in self.HOP)
            return web.Response(status=upstream.status, body=body, headers=kept)


class Forum:
    def __init__(self, base: str, proxy: FaultProxy) -> None:
        self.base, self.proxy = base, proxy
        self.accounts = {a["username"]: a for a in control(base, "discuz/accounts")}
        self.used: set[int] = set()

    def thread(self, test: Any = lambda t: not t["readperm"] and not t["closed"]) -> dict[str, Any]:
        found = next(t for t in control(self.base, "discuz/threads?fid=27")
                     if not t["pinned"] and t["tid"] not in self.used and test(t))
        self.used.add(found["tid"])
        return found

    def posts(self, text: str) -> list[dict[str, Any]]:
        return [p for t in control(self.base, "discuz/threads?fid=27") for p in t["posts"] if p["message"] == text]

    def member(self, group: str) -> tuple[str, str]:
        name = next(n for n, a in self.accounts.items() if a["group"] == group)
        return f"m{self.accounts[name]['uid']}", name

    def secrets(self, extra: dict[str, str] | None = None, wrong: str = "") -> Secrets:
        names = {**OFFICIALS, **(extra or {})}
        return Secrets({(DISCUZ, key): {"username": name, "password": "wrong-password" if key == wrong
                                        else self.accounts[name]["password"]} for key, name in names.items()}, env={})

    def logins(self) -> int:
        return int(control(self.base, "stats")["requests"].get("/member.php", 0))


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread(default_timeout=90)
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory, loop: LoopThread) -> Iterator[Forum]:
    with replica_process(tmp_path_factory.mktemp("push_discuz"), ["discuz"], options={"discuz": SITE}) as urls:
        proxy = FaultProxy(loop, urls["discuz"])
        yield Forum(urls["discuz"], proxy)
        loop.run(proxy.close())


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


def thread_message(forum: Forum, thread: dict[str, Any]) -> Message:
    tid = str(thread["tid"])
    return Message(platform=DISCUZ, external_id=tid, url=thread_url(forum.base, tid, 1, "rewrite"), board_id="27",
                   addressee="网络问政", title=thread["subject"], body=thread["posts"][0]["message"],
                   status=Status.PENDING, status_raw="待回复", posted_at=datetime.fromisoformat(thread["posted_at"]),
                   fetched_at=utcnow())


def store_messages(store: Store, messages: list[Message]) -> None:
    with store.transaction() as repo:
        run = repo.start_run(messages[0].platform, os.getpid())
        repo.upsert_messages(messages, run, utcnow())
        repo.finish_run(run, "succeeded", {})


def approved(store: Store, message: Message, text: str, account: str, unit: str | None = None) -> int:
    box = Outbox(store)
    reply = box.add(message.platform, message.external_id, text, unit or OFFICIALS.get(account, account), account,
                    "oa-system")
    return box.approve(reply.id, "张科长", content_hash=reply.content_hash).id


def pool_for(base_url: str, secrets: Secrets, retry: RetryPolicy = FAST, **config: Any) -> AdapterPool:
    specs = load_platforms(overrides={DISCUZ: {"base_url": base_url}})
    return AdapterPool(specs, secrets, ReplyConfig(retry=retry, **config))


def push(store: Store, pool: AdapterPool,
         sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> list[PushResult]:
    async def once() -> list[PushResult]:
        try:
            return await Pusher(store, pool, pool.config, sleep=sleep).push()
        finally:
            await pool.close()
    return asyncio.run(once())


class SleepLog:
    """Tenacity's sleep, really slept, with every wait recorded."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


def trail(store: Store, reply_id: int) -> list[str]:
    return [f"{e.to_state}: {e.detail}" for e in Outbox(store).history(reply_id)]


def deferred_by(store: Store, reply_id: int) -> timedelta:
    """How far the push that deferred the reply set its `not_before`, from the moment it recorded that (not from
    now: the test may run long after on a loaded machine)."""
    view, last = Outbox(store).get(reply_id), Outbox(store).history(reply_id)[-1]
    assert view.not_before is not None and last.to_state == "approved", last
    return view.not_before - last.at


def wait_over(store: Store, reply_id: int) -> None:
    """The deferral is over (as an operator, or the clock, would make it): clear `not_before` in the table."""
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(not_before=None))


# --- discuz: plain HTTP, most of the push logic ---------------------------------------------------------
def test_only_approved_replies_are_sent_and_a_dry_run_sends_nothing(forum: Forum, store: Store, tmp_path: Path,
                                                                    sqlite_url: str) -> None:
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    box = Outbox(store)
    texts = {name: f"关于本帖的答复（{name}）：已转交相关部门办理。" for name in
             ("draft", "cancelled", "edited", "tampered", "approved")}
    ids = {name: box.add(DISCUZ, message.external_id, text, OFFICIALS["mayor"], "mayor", "oa").id
           for name, text in texts.items()}
    for name in ("cancelled", "edited", "tampered", "approved"):
        box.approve(ids[name], "张科长")
    box.cancel(ids["cancelled"], "张科长", "重复答复")
    box.edit(ids["edited"], texts["edited"] + "（修改）", "oa")
    with store.engine.begin() as connection:  # changed behind the approval's back, straight in the table
        connection.execute(update(OutboxRow).where(OutboxRow.id == ids["tampered"]).values(text="被篡改的答复。"))

    config = write_config(tmp_path, sqlite_url, {DISCUZ: forum.base})
    password = forum.accounts[OFFICIALS["mayor"]]["password"]
    env = harvester_env(config, **{env_name(DISCUZ, "mayor", "username"): OFFICIALS["mayor"],
                                   env_name(DISCUZ, "mayor", "password"): password})
    dry = subprocess.run([sys.executable, "-m", "harvester.app.cli.replies", "push", "--dry-run"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert texts["approved"] in dry.stdout and "Dry run: 2 replies, nothing sent" in dry.stdout
    assert "void: content changed" in dry.stdout and password not in dry.stdout + dry.stderr
    assert all(not forum.posts(text) for text in texts.values())

    results = push(store, pool_for(forum.base, forum.secrets()))
    assert [(r.reply_id, r.state) for r in results] == [(ids["tampered"], "draft"), (ids["approved"], "posted")]
    assert [p["author"] for p in forum.posts(texts["approved"])] == [OFFICIALS["mayor"]]
    for name in ("draft", "cancelled", "edited", "tampered"):
        assert not forum.posts(texts[name]) and not forum.posts(texts[name] + "（修改）"), name
        assert box.get(ids[name]).state == ("cancelled" if name == "cancelled" else "draft")
    assert not forum.posts("被篡改的答复。")
    assert box.get(ids["approved"]).platform_reply_id == str(forum.posts(texts["approved"])[0]["pid"])


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_5xx_then_success_leaves_exactly_one_reply(forum: Forum, store: Store, when: str) -> None:
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    text = f"网关故障（{when}）时的答复：问题已交办。"
    account = {"before": "zjj", "after": "nync"}[when]  # one account each: no flood interval between them
    reply_id = approved(store, message, text, account)
    forum.proxy.faults = [(when, 502)]
    (result,) = push(store, pool_for(forum.proxy.url, forum.secrets()))
    assert result.state == "posted", trail(store, reply_id)
    assert [p["author"] for p in forum.posts(text)] == [OFFICIALS[account]]
    steps = trail(store, reply_id)
    assert any("attempt 1 failed" in s and "HTTP 502" in s for s in steps), steps
    # a 502 after the forum stored it is found on the thread and not posted again
    assert steps[-1].startswith("posted: found on the platform" if when == "after" else "posted: posted: 非常感谢")
    assert Outbox(store).get(reply_id).attempts == (1 if when == "after" else 2)


def test_a_429_from_the_forums_rate_limit_is_waited_out_as_its_retry_after_says(forum: Forum, store: Store) -> None:
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    text = "限流时的答复：已转交属地核实。"
    reply_id = approved(store, message, text, "rsj")
    control(forum.base, "discuz/faults", {"reply": "429", "retry_after": 1})  # nginx limit_req, before Discuz
    slept = SleepLog()
    (result,) = push(store, pool_for(forum.base, forum.secrets()), slept)
    assert result.state == "posted", trail(store, reply_id)
    assert slept.waits == [1.0]  # the Retry-After, not the backoff
    assert [p["author"] for p in forum.posts(text)] == [OFFICIALS["rsj"]]
    assert any("attempt 1 failed" in s and "HTTP 429" in s for s in trail(store, reply_id))
    assert Outbox(store).get(reply_id).attempts == 2


def test_refusals_end_rejected_in_the_forums_words_and_moderation_is_pending(forum: Forum, store: Store) -> None:
    closed, protected, queued = (forum.thread(lambda t: t["closed"]), forum.thread(lambda t: t["readperm"] > 0),
                                 forum.thread())
    store_messages(store, [thread_message(forum, t) for t in (closed, protected, queued)])
    member, newcomer = forum.member("注册会员"), forum.member("新手上路")
    ids = [approved(store, thread_message(forum, closed), "已关闭主题的答复。", "jtj"),
           approved(store, thread_message(forum, protected), "权限不足的答复。", member[0], member[1]),
           approved(store, thread_message(forum, queued), "新用户的答复，需要审核。", newcomer[0], newcomer[1])]
    results = push(store, pool_for(forum.base, forum.secrets(dict([member, newcomer]))))
    views = [Outbox(store).get(i) for i in ids]
    assert [(r.state, v.state) for r, v in zip(results, views, strict=True)] == [
        ("rejected", "rejected"), ("rejected", "rejected"),
        ("posted_pending_moderation", "posted_pending_moderation")]
    assert views[0].reason == "抱歉，本主题已关闭，不再接受新内容"
    assert views[1].reason == "抱歉，本帖要求阅读权限高于 30 才能浏览"
    assert views[2].platform_message == "回复需要审核，请等待通过" and views[2].attempts == 1
    assert not forum.posts("已关闭主题的答复。") and not forum.posts("权限不足的答复。")
    assert [p["moderated"] for p in forum.posts("新用户的答复，需要审核。")] == [True]


def test_a_flood_wait_is_slept_or_deferred_as_the_forum_says(forum: Forum, store: Store) -> None:
    threads = [forum.thread() for _ in range(3)]
    messages = [thread_message(forum, t) for t in threads]
    store_messages(store, messages)
    texts = [f"第{n}条连续答复：已安排核查。" for n in range(3)]
    ids = [approved(store, m, t, "sthj") for m, t in zip(messages, texts, strict=True)]
    waits: list[float] = []
    pool = pool_for(forum.base, forum.secrets())

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async def first_push() -> list[PushResult]:
        try:
            return await Pusher(store, pool, pool.config, sleep=recorded_sleep).push(limit=2)
        finally:
            await pool.close()

    assert [r.state for r in asyncio.run(first_push())] == ["posted", "posted"]
    assert waits == [float(FLOOD_S)]  # the forum's "间隔少于 3 秒", slept once before the second reply
    # a wait longer than the push may sleep defers the reply to a later push instead
    (deferred,) = push(store, pool_for(forum.base, forum.secrets(), RetryPolicy(max_inline_wait_s=0.5)))
    view = Outbox(store).get(ids[2])
    assert (deferred.state, view.state) == ("approved", "approved") and f"间隔少于 {FLOOD_S} 秒" in (view.reason or "")
    assert timedelta(seconds=FLOOD_S - 1) < deferred_by(store, ids[2]) <= timedelta(seconds=FLOOD_S)
    assert not forum.posts(texts[2])
    wait_over(store, ids[2])  # a flood the forum still reports is waited out inside the push
    assert [r.state for r in push(store, pool_for(forum.base, forum.secrets()))] == ["posted"]
    assert all(len(forum.posts(t)) == 1 for t in texts)


def test_a_refused_login_is_retried_once_then_deferred_and_dead_at_the_cap(forum: Forum, store: Store) -> None:
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    reply_id = approved(store, message, "密码错误时不应发出的答复。", "jyj")
    retry = RetryPolicy(max_attempts=2, backoff_initial_s=0.05)
    before = forum.logins()
    (first,) = push(store, pool_for(forum.base, forum.secrets(wrong="jyj"), retry))
    assert forum.logins() - before == 2  # the first refusal, and exactly one new login
    view = Outbox(store).get(reply_id)
    assert (first.state, view.attempts) == ("approved", 1) and "登录失败" in (view.reason or "")
    assert timedelta(seconds=retry.auth_retry_after_s - 10) < deferred_by(store, reply_id) \
        <= timedelta(seconds=retry.auth_retry_after_s)
    wait_over(store, reply_id)
    (second,) = push(store, pool_for(forum.base, forum.secrets(wrong="jyj"), retry))
    view = Outbox(store).get(reply_id)
    assert (second.state, view.state, view.attempts) == ("dead", "dead", 2)
    assert "登录失败" in (view.reason or "") and "wrong-password" not in " ".join(trail(store, reply_id))
    assert not forum.posts("密码错误时不应发出的答复。")


def test_attempts_beyond_the_cap_go_dead_with_the_last_reason(forum: Forum, store: Store) -> None:
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    reply_id = approved(store, message, "网关一直故障时的答复。", "gaj")
    forum.proxy.faults, refused = [("before", 503)] * 5, forum.proxy.refused
    (result,) = push(store, pool_for(forum.proxy.url, forum.secrets()))
    forum.proxy.faults = []
    view = Outbox(store).get(reply_id)
    assert (result.state, view.attempts, forum.proxy.refused - refused) == ("dead", 3, 3)
    assert view.reason == "platform asked to retry later: 论坛繁忙（HTTP 503）"
    assert sum("retrying in" in s for s in trail(store, reply_id)) == 2
    assert not forum.posts("网关一直故障时的答复。")


def test_staging_sends_every_reply_to_the_replica_and_never_to_production(forum: Forum, store: Store) -> None:
    production = "http://127.0.0.1:9"  # nothing listens there: a reply reaching it would fail loudly
    message = thread_message(forum, forum.thread())
    store_messages(store, [message])
    reply_id = approved(store, message, "演练环境中的答复。", "wjw")
    (skipped,) = push(store, pool_for(production, forum.secrets(), staging=True))
    assert (skipped.state, Outbox(store).get(reply_id).state) == ("skipped", "approved")
    assert "no staging URL" in skipped.detail
    (rehearsed,) = push(store, pool_for(production, forum.secrets(), staging=True,
                                        staging_urls={DISCUZ: forum.base}))
    assert rehearsed.state == "posted" and len(forum.posts("演练环境中的答复。")) == 1


def test_the_next_harvest_marks_a_pushed_reply_verified(forum: Forum, store: Store, tmp_path: Path,
                                                        sqlite_url: str) -> None:
    thread = forum.thread(lambda t: not t["readperm"] and not t["closed"] and len(t["posts"]) < 5)
    message = thread_message(forum, thread)
    store_messages(store, [message])
    text = "网友您好：\n您反映的问题已交由市住建局核查，\n整改结果将在三个工作日内公布。"
    reply_id = approved(store, message, text, "mayor")
    assert [r.state for r in push(store, pool_for(forum.base, forum.secrets()))] == ["posted"]
    config = write_config(tmp_path, sqlite_url, {DISCUZ: forum.base}, extra="[replies]\nunverified_after_runs = 0")
    listed = subprocess.run([sys.executable, "-m", "harvester.app.cli.replies", "replies", "list", "--unverified"],
                            cwd=ROOT, env=harvester_env(config), capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and f"│ {reply_id} " in listed.stdout and "posted" in listed.stdout, listed.stderr
    result = harvest(config, DISCUZ)
    assert result.returncode == 0, result.stdout + result.stderr
    view = Outbox(store).get(reply_id)
    assert view.state == "verified" and view.verified_at is not None
    assert trail(store, reply_id)[-1].startswith("verified: seen on the platform")


# --- jact: the Playwright back office, one browser for the module ------------------------------------------
@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory, loop: LoopThread) -> Iterator[dict[str, Any]]:
    fetcher = PlaywrightFetchAdapter(max_contexts=1, max_pages=2, timeout_s=10)
    try:
        with replica_process(tmp_path_factory.mktemp("push_jact"), ["jact"], options={"jact": {"letters": 400}}) as urls:
            base = urls["jact"]
            yield {"base": base, "fetcher": fetcher, "accounts": control(base, "jact/accounts"), "used": set()}
    finally:
        loop.run(fetcher.close())


def jact_letters(base: str) -> dict[int, dict[str, Any]]:
    return {x["id"]: x for x in control(base, "jact/letters")}


def letter_message(base: str, letter: dict[str, Any]) -> Message:
    return Message(platform=JACT, external_id=str(letter["id"]), url=detail_url(base, "6", str(letter["id"])),
                   board_id="6", addressee="市长信箱", title=letter["title"], body=letter["body"],
                   status=Status.IN_PROGRESS, status_raw="办理中",
                   posted_at=datetime.fromisoformat(letter["posted_at"]), fetched_at=utcnow())


def jact_setup(store: Store, office: dict[str, Any], count: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An account and `count` unanswered open public letters of its unit, stored as messages."""
    letters = jact_letters(office["base"])

    def open_letters(unit: str) -> list[dict[str, Any]]:
        return [x for x in letters.values() if x["unit"] == unit and x["status"] == "办理中" and x["public"]
                and not x["replies"] and x["id"] not in office["used"]]

    account = next(a for a in office["accounts"] if len(open_letters(a["unit"])) >= count)
    mine = open_letters(account["unit"])[:count]
    office["used"].update(x["id"] for x in mine)
    store_messages(store, [letter_message(office["base"], x) for x in mine])
    return account, mine


def jact_secrets(account: dict[str, Any]) -> Secrets:
    return Secrets({(JACT, account["username"]): {k: account[k] for k in ("username", "password", "totp_secret")}},
                   env={})


def jact_push(store: Store, office: dict[str, Any], account: dict[str, Any], loop: LoopThread,
              sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, fetcher: Any = None) -> list[PushResult]:
    """One push to the back office in this process, through the module's browser unless given another."""
    specs = load_platforms(overrides={JACT: {"base_url": office["base"]}})

    async def once() -> list[PushResult]:
        pool = AdapterPool(specs, jact_secrets(account), ReplyConfig(retry=FAST), fetcher=fetcher or office["fetcher"])
        try:
            return await Pusher(store, pool, pool.config, sleep=sleep).push()
        finally:
            await pool.close()

    return loop.run(once())


def texts_on(base: str, letter: dict[str, Any]) -> list[str]:
    return [r["text"] for r in jact_letters(base)[letter["id"]]["replies"]]


def until_stored(base: str, letter: dict[str, Any], process: subprocess.Popen[bytes], log: Path) -> list[str]:
    """The letter's replies as soon as the back office holds one (the process still running), read as ground truth."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if texts := texts_on(base, letter):
            return texts
        time.sleep(0.1)
    raise AssertionError(f"no reply stored; push exit {process.poll()}:\n{log.read_text(errors='replace')[-2000:]}")


def test_a_push_killed_after_the_post_leaves_one_reply_after_the_rerun(backoffice: dict[str, Any], store: Store,
                                                                         tmp_path: Path, sqlite_url: str) -> None:
    base = backoffice["base"]
    account, (letter,) = jact_setup(store, backoffice, 1)
    text = f"您好，来信反映的问题已由{account['unit']}现场核查，\n将于五个工作日内整改到位。"
    reply_id = approved(store, letter_message(base, letter), text, account["username"], account["unit"])
    config = write_config(tmp_path, sqlite_url, {JACT: base})
    secrets = {env_name(JACT, account["username"], name): account[key] for name, key in
               (("username", "username"), ("password", "password"), ("totp_secret", "totp_secret"))}
    command = [sys.executable, "-m", "harvester.app.cli.replies", "push"]
    # The back office stores the reply, then its answer hangs (a gateway timing out on a slow backend): the
    # push waits between the platform accepting the reply and the store recording it, far longer than the
    # moment the test needs to kill it there.
    control(base, "jact/faults", {"after_store": "hold", "hold_s": 300})
    log = tmp_path / "doomed-push.log"
    with log.open("wb") as output:
        doomed = subprocess.Popen(command, cwd=ROOT, env=harvester_env(config, **secrets), stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        stored = until_stored(base, letter, doomed, log)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)  # the push and the browser it started, mid-flight
        doomed.wait()
        control(base, "jact/faults", {"disarm": True})
    assert stored == [text]
    assert Outbox(store).get(reply_id).state == "sending"  # the kill, not a timeout, ended that push

    rerun = subprocess.run(command, cwd=ROOT, env=harvester_env(config, **secrets), capture_output=True, text=True,
                           timeout=90)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    replies = jact_letters(base)[letter["id"]]["replies"]
    assert [r["text"] for r in replies] == [text]
    view = Outbox(store).get(reply_id)
    assert (view.state, view.platform_reply_id, view.attempts) == ("posted", replies[0]["reply_id"], 1)
    steps = trail(store, reply_id)
    assert any("taken over" in s for s in steps) and "found on the platform" in steps[-1], steps
    assert account["password"] not in rerun.stdout + rerun.stderr


def until(condition: Callable[[], Any], process: subprocess.Popen[bytes], log: Path, what: str) -> Any:
    """Poll `condition` while the process runs; its first truthy value (the process still running)."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not seen; push exit {process.poll()}:\n{log.read_text(errors='replace')[-2000:]}")


def test_a_reply_changed_while_its_post_was_in_flight_is_never_posted(backoffice: dict[str, Any], store: Store,
                                                                      tmp_path: Path, sqlite_url: str) -> None:
    base = backoffice["base"]
    account, (letter,) = jact_setup(store, backoffice, 1)
    text, changed = "已核实，施工单位将于本周内整改。", "未经审核的文字：此答复不应出现在平台上。"
    reply_id = approved(store, letter_message(base, letter), text, account["username"], account["unit"])
    config = write_config(tmp_path, sqlite_url, {JACT: base})
    secrets = {env_name(JACT, account["username"], name): account[key] for name, key in
               (("username", "username"), ("password", "password"), ("totp_secret", "totp_secret"))}
    command = [sys.executable, "-m", "harvester.app.cli.replies", "push"]
    # the back office sits on the POST before storing anything; the push is killed while it waits
    control(base, "jact/faults", {"before_store": "hold", "hold_s": 300})
    log = tmp_path / "doomed-push.log"
    with log.open("wb") as output:
        doomed = subprocess.Popen(command, cwd=ROOT, env=harvester_env(config, **secrets), stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        until(lambda: control(base, "jact/faults")["before_store"] == [], doomed, log, "the POST in flight")
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        control(base, "jact/faults", {"disarm": True})  # the held POST ends in a 504, nothing stored
    assert Outbox(store).get(reply_id).state == "sending"
    with store.engine.begin() as connection:  # changed behind the approval's back while the push was dead
        connection.execute(update(OutboxRow).where(OutboxRow.id == reply_id).values(text=changed))

    rerun = subprocess.run(command, cwd=ROOT, env=harvester_env(config, **secrets), capture_output=True, text=True,
                           timeout=90)
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr  # a reply went dead: somebody must look
    assert texts_on(base, letter) == []
    view = Outbox(store).get(reply_id)
    assert (view.state, view.approval_valid, view.posted_at) == ("dead", False, None)
    assert "content changed after the approved text was handed to the platform" in (view.reason or "")


def test_a_429_during_a_post_is_waited_out_or_deferred_as_the_back_office_says(backoffice: dict[str, Any],
                                                                                store: Store, loop: LoopThread) -> None:
    base = backoffice["base"]
    account, (soon, later) = jact_setup(store, backoffice, 2)
    user, unit = account["username"], account["unit"]
    texts = ("限流后等待片刻再发的答复。", "限流后推迟到下次推送的答复。")
    first = approved(store, letter_message(base, soon), texts[0], user, unit)
    control(base, "jact/faults", {"before_store": "429", "retry_after": 1})
    slept = SleepLog()
    (result,) = jact_push(store, backoffice, account, loop, slept)
    assert result.state == "posted", trail(store, first)
    assert slept.waits == [1.0] and texts_on(base, soon) == [texts[0]]
    assert any("attempt 1 failed" in s and "您的操作过于频繁" in s and "retrying in 1.0s" in s
               for s in trail(store, first))
    assert Outbox(store).get(first).attempts == 2

    # a Retry-After longer than a push may sleep (max_inline_wait_s) defers the reply by exactly that long
    second = approved(store, letter_message(base, later), texts[1], user, unit)
    control(base, "jact/faults", {"before_store": "429", "retry_after": 60})
    slept = SleepLog()
    (deferred,) = jact_push(store, backoffice, account, loop, slept)
    view = Outbox(store).get(second)
    assert (deferred.state, view.state, slept.waits) == ("approved", "approved", [])
    assert "您的操作过于频繁" in (view.reason or "") and not texts_on(base, later)
    assert timedelta(seconds=59) < deferred_by(store, second) <= timedelta(seconds=60)
    wait_over(store, second)
    assert [r.state for r in jact_push(store, backoffice, account, loop)] == ["posted"]
    assert texts_on(base, later) == [texts[1]] and Outbox(store).get(second).attempts == 2


def test_a_post_whose_answer_times_out_unstored_is_looked_up_and_posted_once(backoffice: dict[str, Any],
                                                                             store: Store, loop: LoopThread) -> None:
    base = backoffice["base"]
    account, (letter,) = jact_setup(store, backoffice, 1)
    text = "网关超时后重试的答复：问题已交办。"
    reply_id = approved(store, letter_message(base, letter), text, account["username"], account["unit"])
    # the back office sits on the POST without storing it for far longer than the adapter waits for an answer
    control(base, "jact/faults", {"before_store": "hold", "hold_s": 60})
    impatient = PlaywrightFetchAdapter(max_contexts=1, max_pages=2, timeout_s=4)
    try:
        (result,) = jact_push(store, backoffice, account, loop, fetcher=impatient)
    finally:
        loop.run(impatient.close())
        control(base, "jact/faults", {"disarm": True})  # the held POST is answered now (504), still unstored
    assert result.state == "posted", trail(store, reply_id)
    assert texts_on(base, letter) == [text]
    steps = trail(store, reply_id)
    assert any("attempt 1 failed: post: outcome unknown" in s and "no answer came back" in s for s in steps), steps
    assert Outbox(store).get(reply_id).attempts == 2


def test_jact_refusals_are_rejected_and_an_expired_session_logs_in_again(backoffice: dict[str, Any], store: Store,
                                                                          loop: LoopThread) -> None:
    account, mine = jact_setup(store, backoffice, 3)
    letters = jact_letters(backoffice["base"])
    closed = next(x for x in letters.values() if x["unit"] == account["unit"] and x["status"] == "已办结" and x["public"])
    foreign = next(x for x in letters.values() if x["unit"] not in ("", account["unit"]) and x["public"])
    store_messages(store, [letter_message(backoffice["base"], x) for x in (closed, foreign)])
    user, unit = account["username"], account["unit"]
    cases = [(mine[0], "好" * 2001, "回复内容不能超过2000字"), (mine[1], "请勿传播法轮功相关内容。", "回复内容含有敏感词"),
             (closed, "已办结信件的答复。", "该信件已办结，不能回复"), (foreign, "越权答复。", "无权回复该信件")]
    ids = [approved(store, letter_message(backoffice["base"], x), text, user, unit) for x, text, _ in cases]
    expiring = approved(store, letter_message(backoffice["base"], mine[2]), "提交时会话过期后的答复。", user, unit)
    control(backoffice["base"], "jact/faults", {"before_store": "expire", "count": 1})
    results = jact_push(store, backoffice, account, loop)
    assert [r.state for r in results] == ["rejected"] * 4 + ["posted"]
    for reply_id, (_, _, words) in zip(ids, cases, strict=True):
        assert Outbox(store).get(reply_id).reason == words
    after = jact_letters(backoffice["base"])
    assert [r["text"] for r in after[mine[2]["id"]]["replies"]] == ["提交时会话过期后的答复。"]
    assert after[closed["id"]]["replies"] == letters[closed["id"]]["replies"]
    assert Outbox(store).get(expiring).attempts == 1


def test_the_demo_reply_is_pushed_and_the_next_jact_harvest_verifies_it(backoffice: dict[str, Any], store: Store,
                                                                         tmp_path: Path, sqlite_url: str) -> None:
    _, (letter,) = jact_setup(store, backoffice, 1)
    with store.transaction() as repo:  # as after earlier harvests: the list is read down to here
        run = repo.start_run(JACT, os.getpid())
        repo.set_cursor(BoardCursor(JACT, "6", str(max(jact_letters(backoffice["base"])))), run)
        repo.finish_run(run, "succeeded", {})
    config = write_config(tmp_path, sqlite_url, {JACT: backoffice["base"]})
    output = io.StringIO()
    console = Console(file=output, width=200)
    reply_id = push_demo_reply(store, backoffice["base"], console)
    pushed = Outbox(store).get(reply_id)
    assert pushed.external_id == str(letter["id"])
    assert pushed.state == "posted" and pushed.platform_reply_id == f"R{pushed.external_id}01"
    # jact's public page shows the unit and the text, not the reply's id: confirmation matches those two
    rechecked = harvest(config, JACT, HARVESTER_RECHECK_AFTER_HOURS="0")
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    assert report_demo_reply(store, reply_id, console)
    assert f"demo reply {reply_id}: verified" in output.getvalue()


# --- configuration: credentials and reply settings --------------------------------------------------------
def test_credentials_come_from_the_environment_over_the_file_and_are_never_shown(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[accounts.jact_demo.zjj]\nusername = "zjj"\npassword = "file-pass-123"\n'
                            'totp_secret = "JBSWY3DPEHPK3PXP"\n', encoding="utf-8")
    secrets_file.chmod(0o600)  # a secrets file others can read is refused
    saved = set(logsafety._registered)
    try:
        secrets = Secrets.load(secrets_file, env={env_name(JACT, "zjj", "password"): "env-pass-456"})
        assert secrets.credentials(JACT, "zjj") == {"username": "zjj", "password": "env-pass-456",
                                                    "totp_secret": "JBSWY3DPEHPK3PXP"}
        masked = PersonalDataFilter(environ={}).mask("login env-pass-456 / file-pass-123 / JBSWY3DPEHPK3PXP")
        assert masked == "login [secret] / [secret] / [secret]"
        assert "pass" not in repr(secrets) and not secrets.has(JACT, "jtj")
        with pytest.raises(MissingCredentials, match="HARVESTER_ACCOUNT_JACT_DEMO_JTJ_PASSWORD"):
            secrets.credentials(JACT, "jtj")
    finally:
        logsafety._registered.clear()
        logsafety._registered.update(saved)


def test_reply_settings_come_from_the_config_file_and_the_environment(tmp_path: Path) -> None:
    config_file = tmp_path / "harvester.toml"
    config_file.write_text('[replies]\nmax_attempts = 7\nbackoff_initial_s = 0.5\nstaging = true\n'
                           '[replies.staging_urls]\njact_demo = "http://127.0.0.1:8601/"\n', encoding="utf-8")
    named = {"HARVESTER_CONFIG": str(config_file)}
    loaded = load_reply_config(load_config(env={**named, "HARVESTER_REPLY_MAX_ATTEMPTS": "2",
                                                "HARVESTER_STAGING_URLS": "discuz_demo=http://127.0.0.1:8604"}))
    assert (loaded.retry.max_attempts, loaded.retry.backoff_initial_s, loaded.staging) == (2, 0.5, True)
    assert loaded.staging_urls == {JACT: "http://127.0.0.1:8601", DISCUZ: "http://127.0.0.1:8604"}
    assert not load_reply_config(load_config(env={**named, "HARVESTER_STAGING": "0"})).staging
    config_file.write_text("[replies]\nmax_attempt = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"harvester.toml: \[replies\]: unknown key 'max_attempt'"):
        load_reply_config(load_config(env={"HARVESTER_CONFIG": str(config_file)}))
