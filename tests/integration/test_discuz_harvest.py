"""The Discuz spider against both replica builds, through `harvester harvest` processes and a real SQLite store."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.discuz_reply import DiscuzReplyAdapter
from adapters.protocols import OutgoingReply, ReplyOutcome
from harvester.registry import load_platforms
from harvester.store.db import Store
from spiders.discuz.options import thread_url
from spiders.discuz.scan import decode_cursor
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SLUGS = {"discuz": "discuz_demo", "discuz_gbk": "discuz_demo_gbk"}
SITE = {"threads_per_board": 25, "boards": "27", "tpp": 10}
# The GBK definition files official answers under the signing unit, the UTF-8 one under the account name.
UNITS = {"discuz": {}, "discuz_gbk": dict(load_platforms()["discuz_demo_gbk"].options["official_accounts"])}


@pytest.fixture
def forums(tmp_path: Path) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path, list(SLUGS), options={name: SITE for name in SLUGS}) as urls:
        yield urls


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str, forums: dict[str, str]) -> Path:
    return write_config(tmp_path, sqlite_url, {slug: forums[name] for name, slug in SLUGS.items()})


def stored(db_url: str, platform: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=platform)}


def events(db_url: str, after: int = 0) -> list[dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return repo.events_since(after, limit=100_000)


def latest_run(db_url: str, platform: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=platform)[0]


def readable(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The threads that are messages: not pinned notices, readable by a guest."""
    return {str(t["tid"]): t for t in truth if not t["pinned"] and not t["readperm"]}


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def assert_matches_truth(messages: dict[str, dict[str, Any]], truth: list[dict[str, Any]],
                         units: dict[str, str]) -> None:
    """Every readable thread stored exactly as the forum shows it, and nothing else."""
    threads = readable(truth)
    assert set(messages) == set(threads)
    for tid, thread in threads.items():
        message, opening = messages[tid], thread["posts"][0]
        assert (message["title"], message["body"], message["author"]) == (thread["subject"], opening["message"],
                                                                         thread["author"])
        assert (message["kind_raw"], message["posted_at"]) == (thread["type"], when(thread["posted_at"]))
        assert message["updated_at"] == when(thread["last_post_at"])
        posts = [p for p in thread["posts"][1:] if not p["locked"] and not p["moderated"]]
        assert [(r["external_id"], r["author"], r["text"], r["official"], r["replied_at"])
                for r in message["replies"]] == [
            (str(p["pid"]), p["author"], p["message"], p["official"], when(p["dateline"])) for p in posts]
        answered = "replied" if any(p["official"] for p in posts) else "pending"
        if thread["closed"] and message["status"] != "closed":
            # closing posts nothing: a thread closed below the first list page after it was last read is seen
            # by its next re-check, not sooner
            assert when(thread["last_mod"]["at"]) > message["last_seen_at"], tid
            assert message["status"] == answered
        else:
            assert message["status"] == ("closed" if thread["closed"] else answered)
        assert [r["organisation"] for r in message["replies"]] == [
            (units.get(p["author"], p["author"]) if p["official"] else None) for p in posts]


def thread_pages(base: str) -> dict[str, list[int]]:
    """tid -> the thread pages the rewrite-URL build served since the last stats reset, as often as served."""
    served: dict[str, list[int]] = {}
    for path, count in control(base, "stats")["requests"].items():
        if m := re.fullmatch(r"/thread-(\d+)-(\d+)-1\.html", path):
            served.setdefault(m.group(1), []).extend([int(m.group(2))] * count)
    return {tid: sorted(pages) for tid, pages in served.items()}


def thread_reads(base: str) -> set[str]:
    """Threads the rewrite-URL build served any page of since the last stats reset."""
    return set(thread_pages(base))


def cursor_minute_threads(truth: list[dict[str, Any]]) -> set[str]:
    """Threads whose last post falls in the newest last-post minute: the list cannot tell them apart."""
    normal = [t for t in truth if not t["pinned"]]
    newest = max(when(t["last_post_at"]).replace(second=0) for t in normal)
    return {str(t["tid"]) for t in normal if when(t["last_post_at"]).replace(second=0) == newest}


def test_both_builds_harvest_into_exact_messages_and_a_rerun_reads_only_the_top(
        config: Path, sqlite_url: str, forums: dict[str, str]) -> None:
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, slug in SLUGS.items():
        truth = control(forums[name], "discuz/threads?fid=27")
        assert_matches_truth(stored(sqlite_url, slug), truth, units=UNITS[name])
        run = latest_run(sqlite_url, slug)
        assert (run["outcome"], run["new"]) == ("succeeded", len(readable(truth)))
        assert run["skipped"] == len(truth) - len(readable(truth))  # pinned notices, read-protected threads
    seq = events(sqlite_url)[-1]["seq"]
    control(forums["discuz"], "stats/reset", {})
    assert harvest(config).returncode == 0
    assert events(sqlite_url, seq) == []
    truth = control(forums["discuz"], "discuz/threads?fid=27")
    assert thread_reads(forums["discuz"]) == cursor_minute_threads(truth) - {
        str(t["tid"]) for t in truth if t["readperm"]}
    assert control(forums["discuz"], "stats")["requests"].get("/forum-27-1.html") == 1
    assert "/forum-27-2.html" not in control(forums["discuz"], "stats")["requests"]


def test_after_advance_only_threads_with_new_posts_are_read_and_become_events(
        config: Path, sqlite_url: str, forums: dict[str, str]) -> None:
    assert harvest(config).returncode == 0
    seq = events(sqlite_url)[-1]["seq"]
    before = {name: control(forums[name], "discuz/threads?fid=27") for name in SLUGS}
    control(forums["discuz"], "stats/reset", {})
    moved = {name: control(forums[name], "advance", {"steps": 2}) for name in SLUGS}
    result = harvest(config)
    assert result.returncode == 0, result.stdout + result.stderr
    fresh = events(sqlite_url, seq)
    for name, slug in SLUGS.items():
        truth = control(forums[name], "discuz/threads?fid=27")
        threads = readable(truth)
        new = {str(t) for t in moved[name]["new_threads"]} & set(threads)
        bumped = {str(t) for t in moved[name]["bumped"]} & set(threads) - new
        # closed by a moderator (nothing posted) on the first list page, where the incremental read looks
        page_one = {str(t) for t in bump_order(truth)[:5]}
        closed = {str(t) for t in moved[name]["closed"]} & page_one - new - bumped
        assert new and bumped
        kinds: dict[str, set[str]] = {}
        for event in (e for e in fresh if e["platform"] == slug):
            kinds.setdefault(event["external_id"], set()).add(event["kind"])
        # Nothing for threads without new posts. A thread re-read only because its last post shares the old
        # cursor's minute may at most show a post a moderator has hidden meanwhile.
        assert new | bumped | closed <= set(kinds)
        assert all(kinds[t] == {"status_changed"} for t in closed)
        assert all(kinds[t] == {"reply_removed"} for t in set(kinds) - new - bumped - closed)
        assert set(kinds) - new - bumped <= cursor_minute_threads(before[name])
        assert all("created" in kinds[t] for t in new) and all("reply_added" in kinds[t] for t in bumped)
        answered = {str(t) for t in moved[name]["official_replies"]} & bumped
        was_open = {str(t["tid"]) for t in before[name] if not any(p["official"] for p in t["posts"])}
        assert all("status_changed" in kinds[t] for t in answered & was_open)
        assert_matches_truth(stored(sqlite_url, slug), truth, units=UNITS[name])
    reads = thread_reads(forums["discuz"])
    touched = {str(t) for t in moved["discuz"]["new_threads"] + moved["discuz"]["bumped"] + moved["discuz"]["closed"]}
    assert touched & set(readable(control(forums["discuz"], "discuz/threads?fid=27"))) <= reads
    assert reads - touched <= cursor_minute_threads(before["discuz"])


# --- soft blocks: a cloud WAF's anti-CC interstitial instead of forum pages -----------------------------------
def stored_cursor(db_url: str, slug: str) -> datetime | None:
    with Store.open(db_url).transaction() as repo:
        return decode_cursor(repo.get_cursor(slug, "27")).last_post


def quarantined(db_url: str) -> int:
    with Store.open(db_url).transaction() as repo:
        return repo.counts()["quarantine"]


@pytest.mark.parametrize(("name", "waf"), [
    ("discuz", {"mode": "cc", "path": "/thread-", "requests": 3}),  # 云锁 script on thread pages
    ("discuz_gbk", {"mode": "block", "path": "/forum.php?mod=forumdisplay", "requests": 1}),  # 安全狗 on the list
])
def test_a_waf_interstitial_fails_the_run_as_blocked_and_the_next_run_loses_nothing(
        config: Path, sqlite_url: str, forums: dict[str, str], name: str, waf: dict[str, Any]) -> None:
    slug, base = SLUGS[name], forums[name]
    assert harvest(config, slug).returncode == 0
    seq, cursor = events(sqlite_url)[-1]["seq"], stored_cursor(sqlite_url, slug)
    moved = control(base, "advance", {"steps": 2})
    assert moved["bumped"] or moved["new_threads"]
    control(base, "discuz/waf", waf)

    blocked = harvest(config, slug)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    run = latest_run(sqlite_url, slug)
    assert (run["outcome"], run["failure_class"]) == ("failed", "blocked"), run["error"]
    assert "soft block: challenge page" in run["error"] and run["quarantined"] == 0
    assert quarantined(sqlite_url) == 0  # nothing kept as a layout problem
    hit = control(base, "discuz/waf", {"mode": "off"})["blocked"]  # the block lifts
    assert 0 < len(hit) <= waf["requests"]
    truth = {str(t["tid"]): t for t in control(base, "discuz/threads?fid=27")}
    messages, now_cursor = stored(sqlite_url, slug), stored_cursor(sqlite_url, slug)
    if name == "discuz":  # the list was read: the threads behind the interstitial stay at or above the cursor
        missed = {m.group(1) for path in hit if (m := re.match(r"/thread-(\d+)-", path))}
        assert missed and now_cursor is not None
        assert all(when(truth[tid]["last_post_at"]).replace(second=0) >= now_cursor for tid in missed)
        assert any(tid not in messages or messages[tid]["updated_at"] < when(truth[tid]["last_post_at"])
                   for tid in missed)  # news the blocked run did not store
    else:  # the list itself was blocked: no thread read, no message changed, the cursor where it was
        assert events(sqlite_url, seq) == [] and now_cursor == cursor

    after = harvest(config, slug)
    assert after.returncode == 0, after.stdout + after.stderr
    assert latest_run(sqlite_url, slug)["outcome"] == "succeeded"
    assert_matches_truth(stored(sqlite_url, slug), control(base, "discuz/threads?fid=27"), units=UNITS[name])
    assert quarantined(sqlite_url) == 0


# --- a moderator closes a thread: nothing is posted, the thread does not move -----------------------------------
def test_a_thread_closed_or_reopened_on_the_first_list_page_is_read_again_for_its_status(
        tmp_path: Path, sqlite_url: str) -> None:
    with replica_process(tmp_path, ["discuz"], options={"discuz": SITE}) as urls:
        base = urls["discuz"]
        config = write_config(tmp_path, sqlite_url, {"discuz_demo": base})
        assert harvest(config).returncode == 0
        truth = control(base, "discuz/threads?fid=27")
        candidates = {str(x["tid"]) for x in truth if not x["closed"] and not x["readperm"]}
        tid = next(str(t) for t in bump_order(truth)[:5]  # on the first list page, not re-read for its minute
                   if str(t) in candidates - cursor_minute_threads(truth))
        was = stored(sqlite_url, "discuz_demo")[tid]["status"]
        for closed, status in ((True, "closed"), (False, was)):
            before = control(base, f"discuz/threads?tid={tid}")[0]
            after = control(base, "discuz/moderate", {"tid": int(tid), "closed": closed})
            assert (after["last_post_at"], after["replies"]) == (before["last_post_at"], before["replies"])
            seq = events(sqlite_url)[-1]["seq"]
            control(base, "stats/reset", {})
            result = harvest(config)
            assert result.returncode == 0, result.stdout + result.stderr
            message = stored(sqlite_url, "discuz_demo")[tid]
            assert (message["status"], message["status_raw"] == "已关闭") == (status, closed)
            assert [(e["kind"], e["external_id"]) for e in events(sqlite_url, seq)] == [("status_changed", tid)]
            assert thread_reads(base) == {tid} | cursor_minute_threads(truth)


def test_a_sunk_thread_closed_by_a_moderator_is_found_by_its_re_check(tmp_path: Path, sqlite_url: str) -> None:
    with replica_process(tmp_path, ["discuz"], options={"discuz": SITE}) as urls:
        base = urls["discuz"]
        config = write_config(tmp_path, sqlite_url, {"discuz_demo": base})
        assert harvest(config).returncode == 0
        truth = control(base, "discuz/threads?fid=27")
        sunk = next(str(t) for t in reversed(bump_order(truth)) if t in {x["tid"] for x in truth if not x["closed"]
                                                                         and not x["readperm"]})
        control(base, "discuz/moderate", {"tid": int(sunk), "closed": True})
        control(base, "stats/reset", {})
        assert harvest(config).returncode == 0  # the list's first page does not show it, no re-check is due
        assert stored(sqlite_url, "discuz_demo")[sunk]["status"] != "closed"
        assert sunk not in thread_reads(base)

        result = harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0")  # every open thread is due
        assert result.returncode == 0, result.stdout + result.stderr
        message = stored(sqlite_url, "discuz_demo")[sunk]
        assert (message["status"], message["status_raw"]) == ("closed", "已关闭")
        assert sunk in thread_reads(base)
        assert_matches_truth(stored(sqlite_url, "discuz_demo"), control(base, "discuz/threads?fid=27"), units={})


# --- a reply released by a moderator, below the cursor -------------------------------------------------------
def outgoing(base: str, tid: str, account: str, text: str) -> OutgoingReply:
    return OutgoingReply(reply_id=1, idempotency_key=f"{tid}-{account}", platform="discuz_demo", external_id=tid,
                         message_url=thread_url(base, tid, 1, "rewrite"), board_id="27", organisation=account,
                         account=account, text=text)


def post_as(base: str, *replies: OutgoingReply) -> list[ReplyOutcome]:
    accounts = {a["username"]: a for a in control(base, "discuz/accounts")}
    adapter = DiscuzReplyAdapter(base, lambda name: {"username": name, "password": accounts[name]["password"]})

    async def send() -> list[ReplyOutcome]:
        try:
            return [(await adapter.post(reply)).outcome for reply in replies]
        finally:
            await adapter.close()
    return asyncio.run(send())


def test_a_reply_approved_after_a_newer_one_is_read_by_the_changed_reply_count(
        tmp_path: Path, sqlite_url: str) -> None:
    site = {**SITE, "moderate_new": "true", "flood_seconds": 0}
    with replica_process(tmp_path, ["discuz"], options={"discuz": site}) as urls:
        base = urls["discuz"]
        config = write_config(tmp_path, sqlite_url, {"discuz_demo": base})
        assert harvest(config).returncode == 0
        people = control(base, "discuz/accounts")
        newcomer = next(a["username"] for a in people if a["group"] == "新手上路")
        member = next(a["username"] for a in people if a["group"] == "注册会员")
        tid = next(str(t["tid"]) for t in control(base, "discuz/threads?fid=27")
                   if not t["pinned"] and not t["closed"] and not t["readperm"] and len(t["posts"]) < 8)
        queued_text, later_text = "新人报到：我家楼下也是这样，希望尽快处理。", "同问，已经一个多月了。"
        assert post_as(base, outgoing(base, tid, newcomer, queued_text),
                       outgoing(base, tid, member, later_text)) == [ReplyOutcome.PENDING_MODERATION,
                                                                     ReplyOutcome.POSTED]
        control(base, "advance", {"steps": 1})  # other threads get newer posts: the cursor moves past this one
        assert harvest(config).returncode == 0
        (queued,) = [p for p in control(base, f"discuz/threads?tid={tid}")[0]["posts"] if p["moderated"]]
        assert str(queued["pid"]) not in {r["external_id"] for r in stored(sqlite_url, "discuz_demo")[tid]["replies"]}

        # Discuz keeps a thread's last post when the released reply is older than it; only 回复 grows by one
        before = control(base, f"discuz/threads?tid={tid}")[0]
        assert control(base, "discuz/approve", {"pids": [queued["pid"]]})["approved"] == [queued["pid"]]
        after = control(base, "discuz/threads?fid=27")
        (thread,) = [t for t in after if str(t["tid"]) == tid]
        assert (thread["last_post_at"], thread["replies"]) == (before["last_post_at"], before["replies"] + 1)
        cursor = stored_cursor(sqlite_url, "discuz_demo")
        assert cursor is not None and when(thread["last_post_at"]) < cursor  # by last post it would be skipped
        page_one = [str(t) for t in bump_order(after)[:8]]
        assert tid in page_one
        hidden = [t for t in after if str(t["tid"]) in page_one and any(p["locked"] for p in t["posts"])]
        assert hidden, "page 1 should show a thread with a hidden floor (the list counts it, the store does not)"

        seq = events(sqlite_url)[-1]["seq"]
        control(base, "stats/reset", {})
        result = harvest(config)
        assert result.returncode == 0, result.stdout + result.stderr
        message = stored(sqlite_url, "discuz_demo")[tid]
        assert [(r["external_id"], r["text"]) for r in message["replies"]][-2:] == [
            (str(queued["pid"]), queued_text), (str(before["posts"][-1]["pid"]), later_text)]
        assert ("reply_added", tid) in {(e["kind"], e["external_id"]) for e in events(sqlite_url, seq)}
        assert_matches_truth(stored(sqlite_url, "discuz_demo"), after, units={})
        # only that thread (and the cursor's own minute) is read: a hidden floor is no reason to read again
        assert thread_reads(base) == {tid} | cursor_minute_threads(after)


def bump_order(threads: list[dict[str, Any]]) -> list[int]:
    """Normal threads as the board lists them: newest visible post first."""
    normal = [t for t in threads if not t["pinned"]]
    return [t["tid"] for t in sorted(normal, key=lambda t: (t["last_post_at"], max(
        p["pid"] for p in t["posts"] if not p["moderated"])), reverse=True)]


# --- a long thread with new posts is read from the page where they start ----------------------------------------
LONG_REPLIES = 95  # the board's long thread: 96 floors and the officials' answers, 10 pages of 10 (ppp)


def page_count(thread: dict[str, Any]) -> int:
    return -(-sum(not p["moderated"] for p in thread["posts"]) // 10)


def test_a_long_thread_with_a_new_post_is_read_from_its_last_page_and_stored_whole(
        tmp_path: Path, sqlite_url: str) -> None:
    site = {**SITE, "long_thread_replies": LONG_REPLIES, "moderate_new": "true", "flood_seconds": 0}
    with replica_process(tmp_path, ["discuz"], options={"discuz": site}) as urls:
        base = urls["discuz"]
        config = write_config(tmp_path, sqlite_url, {"discuz_demo": base})
        assert harvest(config).returncode == 0
        long = max(readable(control(base, "discuz/threads?fid=27")).values(), key=lambda t: len(t["posts"]))
        tid = str(long["tid"])
        assert page_count(long) == 10 and not long["closed"]
        people = control(base, "discuz/accounts")
        newcomer = next(a["username"] for a in people if a["group"] == "新手上路")
        members = [a["username"] for a in people if a["group"] == "注册会员"]

        # one new post (and one still queued for approval): only the page(s) from the last stored reply are read
        kept = len(stored(sqlite_url, "discuz_demo")[tid]["replies"])
        seq = events(sqlite_url)[-1]["seq"]
        assert post_as(base, outgoing(base, tid, newcomer, "新人报到：同样的问题我们楼也有。"),
                       outgoing(base, tid, members[0], "都十页了，路灯今晚还是不亮。")) == [
            ReplyOutcome.PENDING_MODERATION, ReplyOutcome.POSTED]
        control(base, "stats/reset", {})
        assert harvest(config).returncode == 0
        truth = control(base, "discuz/threads?fid=27")
        (thread,) = [t for t in truth if str(t["tid"]) == tid]
        assert thread_pages(base)[tid] == list(range(kept // 10 + 1, page_count(thread) + 1))
        assert len(thread_pages(base)[tid]) <= 2  # not the 10 a read from page 1 costs
        assert_matches_truth(stored(sqlite_url, "discuz_demo"), truth, units={})  # every reply once, in order
        added = [e for e in events(sqlite_url, seq) if e["external_id"] == tid]
        assert [e["kind"] for e in added] == ["reply_added"]
        assert added[0]["payload"]["identity"] == str(thread["posts"][-1]["pid"])
        assert latest_run(sqlite_url, "discuz_demo")["figures"]["harvester/resumed"] >= 1

        # the queued reply is approved (an older floor appears among the pages read) and a newer one is posted:
        # the partial read does not add up, so the thread is read whole
        (queued,) = [p for p in thread["posts"] if p["moderated"]]
        control(base, "discuz/approve", {"pids": [queued["pid"]]})
        assert post_as(base, outgoing(base, tid, members[1], "顶一下，希望尽快处理。")) == [ReplyOutcome.POSTED]
        seq = events(sqlite_url)[-1]["seq"]
        control(base, "stats/reset", {})
        assert harvest(config).returncode == 0
        truth = control(base, "discuz/threads?fid=27")
        (thread,) = [t for t in truth if str(t["tid"]) == tid]
        served = thread_pages(base)[tid]
        assert set(served) == set(range(1, page_count(thread) + 1)) and len(served) > page_count(thread)
        assert latest_run(sqlite_url, "discuz_demo")["figures"]["harvester/resume_refused"] >= 1
        assert_matches_truth(stored(sqlite_url, "discuz_demo"), truth, units={})
        assert {e["payload"]["identity"] for e in events(sqlite_url, seq)
                if e["external_id"] == tid and e["kind"] == "reply_added"} == {str(queued["pid"]),
                                                                                str(thread["posts"][-1]["pid"])}


# --- a thread holding a reply of ours that awaits confirmation is read again ------------------------------------

def awaiting_confirmation(db_url: str, slug: str, tid: str) -> int:
    """A reply to the stored thread that a push left queued for moderation (the forum said 回复需要审核)."""
    from harvester.app.replies import Outbox, State, claims
    from harvester.timeutil import utcnow

    with Store.open(db_url) as store:
        box = Outbox(store)
        reply = box.add(slug, tid, "您反映的问题已转交相关部门核实处理，请耐心等待。", "市城管局", "chengguan", "oa-system")
        box.approve(reply.id, "张科长", content_hash=reply.content_hash)
        held = claims.claim(store, reply.id, "test:1")
        assert isinstance(held, claims.Claim)
        claims.finish(store, held, State.POSTED_PENDING_MODERATION, "push test:1", "回复需要审核，请等待通过",
                      posted_at=utcnow())
        return reply.id


def test_a_sunk_thread_holding_a_reply_awaiting_confirmation_is_read_again(
        config: Path, sqlite_url: str, forums: dict[str, str]) -> None:
    slug, base = SLUGS["discuz"], forums["discuz"]
    assert harvest(config, slug).returncode == 0
    truth = control(base, "discuz/threads?fid=27")
    listed_first = {str(tid) for tid in bump_order(truth)[:SITE["tpp"]]} | cursor_minute_threads(truth)
    sunk = [tid for tid in map(str, bump_order(truth)) if tid in readable(truth) and tid not in listed_first]
    ours, other = sunk[0], sunk[1]
    awaiting_confirmation(sqlite_url, slug, ours)
    control(base, "stats/reset", {})
    assert harvest(config, slug).returncode == 0
    assert ours in thread_reads(base)  # below the list's first page: only the reply brought it up
    assert other not in thread_reads(base)
