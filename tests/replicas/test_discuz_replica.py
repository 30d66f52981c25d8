"""The Discuz! X replica over real HTTP: list and thread markers, dates, paging, charsets, login and replies."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from tests.replicahost import control, replica_process

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
OPTIONS = {"now": NOW.isoformat(), "threads_per_board": "40", "tpp": "10", "ppp": "10", "moderate_new": "true"}
FID = 27


class Browser:
    """A urllib client with a cookie jar, speaking the site's charset."""

    def __init__(self, base: str, charset: str = "utf-8") -> None:
        self.base, self.charset = base, charset
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def fetch(self, path: str, fields: dict[str, str] | None = None) -> tuple[str, Any, bytes]:
        data = None if fields is None else urllib.parse.urlencode(fields, encoding=self.charset).encode("ascii")
        with self.opener.open(f"{self.base}/{path}", data=data, timeout=10) as response:
            return response.geturl(), response.headers, response.read()

    def page(self, path: str) -> Selector:
        return Selector(text=self.fetch(path)[2].decode(self.charset))

    def post(self, path: str, fields: dict[str, str]) -> str:
        return self.fetch(path, fields)[2].decode(self.charset)

    def login(self, account: dict[str, Any]) -> str:
        return self.post("member.php?mod=logging&action=login&loginsubmit=yes&infloat=yes&lssubmit=yes&inajax=1",
                         {"username": account["username"], "password": account["password"],
                          "quickforward": "yes", "handlekey": "ls"})

    def formhash(self, path: str) -> str:
        return self.page(path).css('input[name="formhash"]::attr(value)').get("")

    def reply(self, tid: int, message: str, formhash: str | None = None) -> str:
        fields = {"formhash": self.formhash(f"thread-{tid}-1-1.html") if formhash is None else formhash,
                  "message": message, "subject": "  ", "usesig": "1", "posttime": str(int(NOW.timestamp()))}
        return self.post(f"forum.php?mod=post&action=reply&fid={FID}&tid={tid}&extra=page%3D1&replysubmit=yes"
                         "&infloat=yes&handlekey=fastpost&inajax=1", fields)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("discuz"), ["discuz", "discuz_gbk"],
                         options={"discuz": OPTIONS, "discuz_gbk": OPTIONS}) as urls:
        yield urls


def truth(base: str, fid: int = FID) -> list[dict[str, Any]]:
    return control(base, f"discuz/threads?fid={fid}")


def thread_truth(base: str, tid: int) -> dict[str, Any]:
    return control(base, f"discuz/threads?tid={tid}")[0]


def accounts(base: str, group: str) -> list[dict[str, Any]]:
    return [account for account in control(base, "discuz/accounts") if account["group"] == group]


def shown(thread: dict[str, Any]) -> list[dict[str, Any]]:
    return [post for post in thread["posts"] if not post["moderated"]]


def bump_order(threads: list[dict[str, Any]]) -> list[int]:
    normal = [t for t in threads if not t["pinned"]]
    return [t["tid"] for t in sorted(normal, key=lambda t: (t["last_post_at"], shown(t)[-1]["pid"]), reverse=True)]


def tids(page: Selector, kind: str = "normalthread") -> list[int]:
    return [int(i.split("_")[1]) for i in page.css(f'tbody[id^="{kind}_"]::attr(id)').getall()]


def all_board_pages(browser: Browser, start: str) -> list[Selector]:
    pages, path = [], start
    while path:
        page = browser.page(path)
        pages.append(page)
        path = page.css("div.pg a.nxt::attr(href)").get("")
        assert len(pages) < 50
    return pages


# -- board list -------------------------------------------------------------------------------------------


def test_board_list_has_discuz_markers_and_pinned_threads_first(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    page = Browser(base).page(f"forum-{FID}-1.html")
    threads = {t["tid"]: t for t in truth(base)}
    body_ids = page.css("table#threadlisttableid > tbody::attr(id)").getall()
    pinned = [t["tid"] for t in threads.values() if t["pinned"]]
    assert body_ids[:len(pinned)] == [f"stickthread_{tid}" for tid in sorted(pinned, reverse=True)]
    assert body_ids[len(pinned)] == "separatorline"
    assert tids(page) == bump_order(list(threads.values()))[:10 - len(pinned)]
    for tid in tids(page):
        row, expected = page.css(f"tbody#normalthread_{tid}"), threads[tid]
        assert row.css("th::attr(class)").get("") in {"common", "new", "lock"}
        assert row.css("th a.s.xst::text").get("") == expected["subject"]
        assert row.css("th em a::text").get("") == expected["type"]
        assert f"typeid={expected['typeid']}" in row.css("th em a::attr(href)").get("")
        assert row.css("td.by")[0].css("cite a::text").get("") == expected["author"]
        assert row.css("td.num a.xi2::text").get("") == str(expected["replies"])
        assert row.css("td.num em::text").get("") == str(expected["views"])
        assert row.css("td.by")[1].css("cite a::text").get("") == shown(expected)[-1]["author"]
        assert "goto=lastpost" in row.css("td.by")[1].css("em a::attr(href)").get("")
    assert page.css('input[name="srhfid"]::attr(value)').get("") == str(FID)


def test_newest_first_filter_orders_by_thread_creation_without_pinned(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    page = Browser(base).page(f"forum.php?mod=forumdisplay&fid={FID}&filter=author&orderby=dateline")
    newest = sorted((t for t in truth(base)), key=lambda t: t["tid"], reverse=True)
    assert tids(page, "stickthread") == []
    assert tids(page) == [t["tid"] for t in newest[:10]]
    assert "filter=author&orderby=dateline&page=2" in page.css("div.pg a.nxt::attr(href)").get("")


# -- dates ------------------------------------------------------------------------------------------------


def discuz_relative(moment: datetime, now: datetime) -> str | None:
    """The relative words dgmdate shows for `moment` (None when it prints the absolute date)."""
    today = now.replace(hour=0, minute=0, second=0)
    seconds = int((now - moment).total_seconds())
    if moment >= today:
        if seconds > 3600:
            return f"{seconds // 3600}\xa0小时前"
        if seconds > 1800:
            return "半小时前"
        return f"{seconds // 60}\xa0分钟前" if seconds > 60 else f"{seconds}\xa0秒前" if seconds > 0 else "刚刚"
    days = int((today - moment) / timedelta(days=1))
    if days >= 7:
        return None
    return f"昨天\xa0{moment:%H:%M}" if days == 0 else f"前天\xa0{moment:%H:%M}" if days == 1 else f"{days + 1}\xa0天前"


def ymd(moment: datetime) -> str:
    return f"{moment.year}-{moment.month}-{moment.day}"


def test_recent_dates_are_relative_with_the_absolute_time_in_the_title(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    page = browser.page(f"forum-{FID}-1.html")
    threads = {t["tid"]: t for t in truth(base)}
    checked = set()
    for tid in tids(page):
        posted = datetime.fromisoformat(threads[tid]["posted_at"])
        span = page.css(f"tbody#normalthread_{tid} td.by")[0].css("em span")
        words = discuz_relative(posted, NOW)
        if words is None:
            assert span.css("::text").get("") == ymd(posted)
        else:
            assert span.css("span[title]::attr(title)").get("") == ymd(posted)
            assert span.css("span[title]::text").get("") == words
            checked.add(words.split("\xa0")[0] if "天前" not in words else "天前")
        last = datetime.fromisoformat(shown(threads[tid])[-1]["dateline"])
        cell = page.css(f"tbody#normalthread_{tid} td.by")[1].css("em a")
        if discuz_relative(last, NOW) is not None:
            assert cell.css("span::attr(title)").get("") == f"{ymd(last)} {last:%H:%M}"
            assert cell.css("span::text").get("") == discuz_relative(last, NOW)
    assert checked, "page 1 should show some recent threads"

    old = next(t for t in threads.values() if datetime.fromisoformat(t["posted_at"]) < NOW - timedelta(days=9)
               and not t["readperm"])
    first = old["posts"][0]
    thread_page = browser.page(f"thread-{old['tid']}-1-1.html")
    moment = datetime.fromisoformat(first["dateline"])
    assert thread_page.css(f"em#authorposton{first['pid']}::text").get("") == \
        f"发表于 {ymd(moment)} {moment:%H:%M:%S}"

    recent = next(t for t in threads.values() if NOW - timedelta(days=6) < datetime.fromisoformat(t["posted_at"])
                  and not t["readperm"])
    first = recent["posts"][0]
    moment = datetime.fromisoformat(first["dateline"])
    em = browser.page(f"thread-{recent['tid']}-1-1.html").css(f"em#authorposton{first['pid']}")
    assert em.css("::text").get("").strip() == "发表于"
    assert em.css("span::attr(title)").get("") == f"{ymd(moment)} {moment:%H:%M:%S}"
    assert em.css("span::text").get("") == discuz_relative(moment, NOW)
    archived = browser.page(f"archiver/?tid-{recent['tid']}.html").css("p.author")[0]
    assert archived.css("strong::text").get("") == first["author"]
    assert archived.css("span::attr(title)").get("") == f"{ymd(moment)} {moment:%H:%M:%S}"
    footer = browser.page("forum.php").css("#frt p.xs0::text").get("")
    assert footer == "GMT+8, 2026-11-25 16:00"


# -- paging -----------------------------------------------------------------------------------------------


def test_board_pages_follow_next_links_through_every_thread_once(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    pages = all_board_pages(browser, f"forum-{FID}-1.html")
    seen = [tid for page in pages for tid in tids(page, "stickthread") + tids(page)]
    everything = truth(base)
    assert len(pages) == -(-len(everything) // 10)
    assert sorted(seen) == sorted(t["tid"] for t in everything)
    assert pages[-1].css("div.pg a.nxt") == []
    beyond = browser.page(f"forum-{FID}-99.html")
    assert tids(beyond) == tids(pages[-1]), "past the end Discuz shows the last page, not an empty one"
    small = Browser(base).page(f"forum-{FID}-1.html")
    assert small.css("div.pg a.last") == [], "a.last only appears when the 10-page window misses the end"


def test_a_long_thread_pages_by_ppp_with_floor_numbers(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    long = max(truth(base), key=lambda t: len(t["posts"]))
    visible = shown(long)
    assert len(visible) > 20
    pids, floors, path = [], [], f"thread-{long['tid']}-1-1.html"
    while path:
        page = browser.page(path)
        pids += [int(i.removeprefix("post_")) for i in page.css('#postlist > div[id^="post_"]::attr(id)').getall()
                 if i != "post_new"]
        floors += [a.xpath("string()").get("").strip() for a in page.css('a[id^="postnum"]')]
        path = page.css("div.pg a.nxt::attr(href)").get("")
    assert pids == [post["pid"] for post in visible]
    # install defaults (postno '#', postnocustom ''): every floor is <em>N</em><sup>#</sup>, the first ones too
    assert floors[:2] == ["1#", "2#"] and floors[10] == f"{visible[10]['floor']}#"
    assert page.css('a[id^="postnum"] sup::text').get() == "#"
    archived = browser.page(f"archiver/?tid-{long['tid']}.html&page=2").css("p.author strong::text").getall()
    assert archived == [post["author"] for post in visible[10:20]]


def test_the_long_thread_can_be_made_longer(tmp_path: Path) -> None:
    options = {"now": NOW.isoformat(), "threads_per_board": "12", "long_thread_replies": "64"}
    with replica_process(tmp_path, ["discuz"], options={"discuz": options}) as urls:
        base = urls["discuz"]
        long = max(truth(base), key=lambda t: len(t["posts"]))
        assert sum(not post["official"] for post in long["posts"][1:]) == 64  # plus the officials' answers
        pages = -(-len(shown(long)) // 10)
        last = Browser(base).page(f"thread-{long['tid']}-{pages}-1.html")
        assert last.css("div.pg strong::text").get() == str(pages) and not last.css("div.pg a.nxt")
        pids = [int(i.removeprefix("post_")) for i in last.css('#postlist > div[id^="post_"]::attr(id)').getall()
                if i != "post_new"]
        assert pids == [post["pid"] for post in shown(long)[(pages - 1) * 10:]]


def test_hidden_posts_render_as_locked_notices_without_a_message_cell(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    locked = [(t, p) for t in truth(base) + truth(base, 2) for p in shown(t) if p["locked"] and not t["readperm"]]
    assert locked
    thread, post = locked[0]
    page_no = shown(thread).index(post) // 10 + 1
    node = browser.page(f"thread-{thread['tid']}-{page_no}-1.html").css(f"#post_{post['pid']}")
    assert node.css("div.pcb div.locked em::text").get("") in {"该帖被管理员或版主屏蔽", "作者被禁止或删除 内容自动屏蔽"}
    assert node.css(f"td.t_f#postmessage_{post['pid']}") == []


def test_rewritten_and_dynamic_urls_answer_the_same_content(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    rewrite = browser.page(f"forum-{FID}-2.html").css("#threadlisttableid").get("")
    dynamic = browser.page(f"forum.php?mod=forumdisplay&fid={FID}&page=2").css("#threadlisttableid").get("")
    assert rewrite == dynamic and "normalthread_" in rewrite
    long = max(truth(base), key=lambda t: len(t["posts"]))
    rewrite = browser.page(f"thread-{long['tid']}-2-1.html").css("#postlist").get("")
    dynamic = browser.page(f"forum.php?mod=viewthread&tid={long['tid']}&page=2&extra=page%3D1").css("#postlist").get("")
    assert rewrite == dynamic and "postmessage_" in rewrite
    url, _, _ = browser.fetch(f"forum.php?mod=redirect&tid={long['tid']}&goto=lastpost")
    last = shown(long)[-1]["pid"]
    assert url.endswith(f"forum.php?mod=viewthread&tid={long['tid']}&page={-(-len(shown(long)) // 10)}#pid{last}")
    board = browser.page(f"archiver/?fid-{FID}.html&page=1").css("#content li a::attr(href)").getall()
    assert len(board) == 10 and all(re.fullmatch(r"\?tid-\d+\.html", href) for href in board)


# -- charsets ---------------------------------------------------------------------------------------------


def test_gbk_build_sends_gbk_bytes_and_keeps_a_gbk_encoded_reply_intact(sites: dict[str, str]) -> None:
    base = sites["discuz_gbk"]
    browser = Browser(base, "gbk")
    _, headers, raw = browser.fetch(f"forum-{FID}-1.html")
    assert headers["Content-Type"] == "text/html; charset=gbk"
    assert b'<meta http-equiv="Content-Type" content="text/html; charset=gbk" />' in raw
    assert "网络问政".encode("gbk") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    account = accounts(base, "注册会员")[0]
    login = browser.login(account)
    assert login.startswith('<?xml version="1.0" encoding="gbk"?>') and "succeedhandle_ls" in login
    tid = tids(browser.page(f"forum-{FID}-1.html"))[0]
    message = "滨江大道的路灯昨晚已经修好了，感谢区住建局！（测试：繁體字、℃、№）"
    answer = browser.reply(tid, message)
    assert answer.startswith('<?xml version="1.0" encoding="gbk"?>')
    found = re.search(r"&pid=(\d+)&page=1&extra=page%3D1#pid\1'", answer)
    assert found, answer
    pid = int(found.group(1))
    thread = thread_truth(base, tid)
    assert (thread["posts"][-1]["pid"], thread["posts"][-1]["message"]) == (pid, message)
    url, _, raw = browser.fetch(f"forum.php?mod=redirect&goto=findpost&ptid={tid}&pid={pid}")
    page = Selector(text=raw.decode("gbk"))
    assert page.css(f"td.t_f#postmessage_{pid}::text").get("").strip() == message


def test_utf8_build_declares_utf8_everywhere(sites: dict[str, str]) -> None:
    browser = Browser(sites["discuz"])
    _, headers, raw = browser.fetch("archiver/")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'content="text/html; charset=utf-8"' in raw.decode("utf-8")
    answer = browser.reply(tids(browser.page(f"forum-{FID}-1.html"))[0], "游客回帖", formhash="00000000")
    assert answer.startswith('<?xml version="1.0" encoding="utf-8"?>')


# -- login and replies ------------------------------------------------------------------------------------


def test_login_sets_prefixed_cookies_and_a_session_bound_formhash(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    cookiepre = control(base, "stats")["cookiepre"]
    assert re.fullmatch(r"[A-Za-z0-9]{4}_[0-9a-f]{4}_", cookiepre)
    account = accounts(base, "注册会员")[1]
    browser = Browser(base)
    guest_hash = browser.formhash(f"forum-{FID}-1.html")
    answer = browser.login(account)
    assert f"欢迎您回来，注册会员 {account['username']}" in answer
    names = {cookie.name for cookie in browser.jar}
    assert {cookiepre + "auth", cookiepre + "saltkey"} <= names
    formhash = browser.formhash(f"forum-{FID}-1.html")
    assert re.fullmatch(r"[0-9a-f]{8}", formhash) and formhash != guest_hash
    tid = tids(browser.page(f"forum-{FID}-1.html"))[3]
    thread_page = browser.page(f"thread-{tid}-1-1.html")
    assert thread_page.css("#fastpostform input[name=formhash]::attr(value)").get("") == formhash
    assert thread_page.css("strong.vwmy a::text").get("") == account["username"]
    other = Browser(base)
    other.login(accounts(base, "注册会员")[2])
    assert other.formhash(f"forum-{FID}-1.html") != formhash

    answer = browser.reply(tid, "已向社区反映，等待处理结果。", formhash)
    match = re.search(r"succeedhandle_fastpost\('forum\.php\?mod=viewthread&tid=(\d+)&pid=(\d+)&page=1"
                      r"&extra=page%3D1#pid(\d+)', '非常感谢，回复发布成功，现在将转入主题页，请稍候……\[ 点击这里转入主题列表 \]', "
                      r"\{'fid':'27','tid':'(\d+)','pid':'(\d+)','from':'','sechash':''\}\);", answer)
    assert match and int(match.group(1)) == tid and len(set(match.groups()[1:3] + match.groups()[4:])) == 1
    assert answer.endswith("</script>]]></root>")
    post = thread_truth(base, tid)["posts"][-1]
    assert (post["pid"], post["author"], post["official"]) == (int(match.group(2)), account["username"], False)


def test_second_reply_within_the_flood_interval_is_refused(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    browser.login(accounts(base, "注册会员")[3])
    tid = tids(browser.page(f"forum-{FID}-2.html"))[0]
    assert "succeedhandle_fastpost" in browser.reply(tid, "第一条回复，内容正常。")
    before = len(thread_truth(base, tid)["posts"])
    answer = browser.reply(tid, "第二条回复，紧接着发出。")
    assert "errorhandle_fastpost('抱歉，您两次发表间隔少于 50 秒，请稍候再发表', {});" in answer
    assert len(thread_truth(base, tid)["posts"]) == before


def pending_mark(page: Selector, pid: int) -> list[str]:
    """The footer marks of one post: `(待审核)` under a reply waiting for approval."""
    return page.css(f"#post_{pid} div.po div.pob em span.xg1::text").getall()


def test_new_members_replies_wait_in_the_moderation_queue(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    author = Browser(base)
    author.login(accounts(base, "新手上路")[0])
    tid = tids(author.page(f"forum-{FID}-1.html"))[-1]
    before = thread_truth(base, tid)
    answer = author.reply(tid, "新人报到，这个问题我也遇到过。")
    assert "errorhandle_fastpost('回复需要审核，请等待通过', {});" in answer
    queued = thread_truth(base, tid)["posts"][-1]
    assert queued["moderated"] and queued["message"] == "新人报到，这个问题我也遇到过。"
    assert queued["pid"] in control(base, "stats")["queued"]
    pid = queued["pid"]
    # its author reads it in place, marked as waiting (Discuz: invisible = -2 -> "(待审核)" in the post footer)
    url, _, raw = author.fetch(f"forum.php?mod=redirect&goto=findpost&ptid={tid}&pid={pid}")
    page_path = url.removeprefix(base + "/").split("#")[0]
    seen = Selector(text=raw.decode())
    assert seen.css(f"td.t_f#postmessage_{pid}::text").get("").strip() == "新人报到，这个问题我也遇到过。"
    assert pending_mark(seen, pid) == ["(待审核)"]
    moderator = Browser(base)
    moderator.login(accounts(base, "版主")[0])
    assert pending_mark(moderator.page(page_path), pid) == ["(待审核)"]
    # a guest and another member see nothing of it, in the thread, the Archiver or the list's reply count
    other = Browser(base)
    other.login(accounts(base, "注册会员")[6])
    for viewer in (Browser(base), other):
        page = viewer.page(page_path)
        assert page.css("div#postlist") and page.css(f"#post_{pid}") == []
        assert "新人报到" not in viewer.fetch(f"archiver/?tid-{tid}.html")[2].decode()
    assert thread_truth(base, tid)["replies"] == before["replies"]
    assert control(base, "discuz/approve", {"pids": [pid]}) == {"approved": [pid]}
    published = Browser(base).page(page_path)
    assert published.css(f"td.t_f#postmessage_{pid}") and pending_mark(published, pid) == []
    assert thread_truth(base, tid)["replies"] == before["replies"] + 1


def test_replies_without_a_live_session_or_with_a_bad_formhash_are_refused(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    browser = Browser(base)
    tid = tids(browser.page(f"forum-{FID}-1.html"))[2]
    assert "errorhandle_fastpost('您还未登录，不能回复', {});" in browser.reply(tid, "游客想回复")
    browser.login(accounts(base, "注册会员")[4])
    formhash = browser.formhash(f"thread-{tid}-1-1.html")
    bad = browser.reply(tid, "表单验证串不对", formhash="deadbeef")
    assert "errorhandle_fastpost('您的请求来路不正确或表单验证串不符，无法提交', {});" in bad
    assert control(base, "discuz/expire-sessions", {})["expired"] >= 1
    assert "errorhandle_fastpost('您还未登录，不能回复', {});" in browser.reply(tid, "会话已过期", formhash)
    assert browser.page(f"forum-{FID}-1.html").css("form#lsform")


def test_read_permission_and_closed_threads_refuse_replies(sites: dict[str, str]) -> None:
    base = sites["discuz"]
    guarded = next(t for t in truth(base) if t["readperm"])
    guest = Browser(base)
    notice = guest.page(f"thread-{guarded['tid']}-1-1.html").css("#messagetext p::text").get("")
    assert notice == f"抱歉，本帖要求阅读权限高于 {guarded['readperm']} 才能浏览"
    member = Browser(base)
    member.login(accounts(base, "注册会员")[5])
    refusal = member.reply(guarded["tid"], "能看到吗？", member.formhash(f"forum-{FID}-1.html"))
    assert f"抱歉，本帖要求阅读权限高于 {guarded['readperm']}" in refusal
    rules = next(t for t in truth(base) if t["pinned"] and t["closed"])
    closed = member.reply(rules["tid"], "版规收到。", member.formhash(f"forum-{FID}-1.html"))
    assert "errorhandle_fastpost('抱歉，本主题已关闭，不再接受新内容', {});" in closed
    assert member.page(f"thread-{rules['tid']}-1-1.html").css("#fastpostform") == []
    official = Browser(base)
    official.login(next(a for a in control(base, "discuz/accounts") if a["official"]))
    page = official.page(f"thread-{guarded['tid']}-1-1.html")
    assert page.css("#thread_subject::text").get("") == guarded["subject"]


def test_a_new_reply_bumps_its_thread_to_the_top_of_the_board(sites: dict[str, str]) -> None:
    base = sites["discuz_gbk"]
    browser = Browser(base, "gbk")
    browser.login(next(a for a in control(base, "discuz/accounts") if a["username"] == "区住建局"))
    sunk = tids(browser.page(f"forum-{FID}-3.html"))[-1]
    answer = browser.reply(sunk, "网友您好！您反映的问题我局已安排人员现场核查，将尽快处理。")
    assert "succeedhandle_fastpost" in answer
    page = browser.page(f"forum-{FID}-1.html")
    assert tids(page)[0] == sunk
    assert page.css("tbody[id^=stickthread_]")
    last = page.css(f"tbody#normalthread_{sunk} td.by")[1]
    assert last.css("cite a::text").get("") == "区住建局"
    assert last.css("em a span::text").get("") == "刚刚"
    assert last.css("em a span::attr(title)").get("") == "2026-11-25 16:00"
    assert thread_truth(base, sunk)["posts"][-1]["official"] is True


# -- the WAF in front of the forum -------------------------------------------------------------------------


def test_the_waf_answers_http_200_interstitials_for_the_next_n_requests_of_a_path(sites: dict[str, str]) -> None:
    base = sites["discuz_gbk"]
    browser = Browser(base, "gbk")
    tid = tids(browser.page(f"forum-{FID}-1.html"))[0]
    try:
        assert control(base, "discuz/waf", {"mode": "cc", "requests": 2, "path": "/thread-"})["remaining"] == 2
        assert tids(browser.page(f"forum-{FID}-1.html"))[0] == tid  # other paths pass
        for _ in range(2):
            url, headers, raw = browser.fetch(f"thread-{tid}-1-1.html")
            page = raw.decode("utf-8")  # the WAF's own page, in its own charset, whatever the forum's
            assert headers["Content-Type"] == "text/html; charset=utf-8" and "正在进行安全检测" in page
            assert "document.cookie=" in page and "security_verify_data" in page and "postlist" not in page
            assert "security_session_verify" in {cookie.name for cookie in browser.jar}
        assert Selector(text=browser.fetch(f"thread-{tid}-1-1.html")[2].decode("gbk")).css("div#postlist")
        state = control(base, "discuz/waf")
        assert (state["mode"], state["remaining"]) == ("off", 0)
        assert state["blocked"][-2:] == [f"/thread-{tid}-1-1.html"] * 2

        control(base, "discuz/waf", {"mode": "block", "path": "/forum.php?mod=forumdisplay"})
        for _ in range(3):  # no budget: until switched off
            blocked = Selector(text=browser.fetch(f"forum.php?mod=forumdisplay&fid={FID}&page=1")[2].decode())
            assert blocked.css("title::text").get() == "网站防火墙" and "您的访问被拦截" in blocked.get()
            assert blocked.css("#threadlisttableid") == []
        assert browser.page(f"forum-{FID}-1.html").css("#threadlisttableid")  # the rewritten list passes
        assert control(base, "stats")["waf_blocked"] >= 5
    finally:
        control(base, "discuz/waf", {"mode": "off"})
    assert browser.page(f"forum.php?mod=forumdisplay&fid={FID}&page=1").css("#threadlisttableid")


def test_a_bad_waf_switch_is_refused(sites: dict[str, str]) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(sites["discuz"], "discuz/waf", {"mode": "captcha"})
    assert refused.value.code == 400
    assert control(sites["discuz"], "discuz/waf")["mode"] == "off"


# -- time moving on ---------------------------------------------------------------------------------------


def test_advance_is_deterministic_for_a_seed_and_moves_the_clock(tmp_path: Path) -> None:
    options = {"now": NOW.isoformat(), "threads_per_board": "30"}
    for name in ("first", "second", "other"):
        (tmp_path / name).mkdir()
    with replica_process(tmp_path / "first", ["discuz"], seed=11, options={"discuz": options}) as first, \
            replica_process(tmp_path / "second", ["discuz"], seed=11, options={"discuz": options}) as second:
        before = control(first["discuz"], f"discuz/threads?fid={FID}")
        summaries = [control(urls["discuz"], "advance", {"steps": 3}) for urls in (first, second)]
        assert summaries[0] == summaries[1]
        summary = summaries[0]
        assert summary["new_threads"] and summary["bumped"] and summary["new_pids"]
        assert summary["clock"] == (NOW + timedelta(hours=12)).isoformat()
        assert control(first["discuz"], "discuz/threads") == control(second["discuz"], "discuz/threads")
        page = Browser(first["discuz"]).page(f"forum-{FID}-1.html")
        assert page.css("#frt p.xs0::text").get("") == "GMT+8, 2026-11-26 04:00"
        after = control(first["discuz"], f"discuz/threads?fid={FID}")
        board_new = [tid for tid in summary["new_threads"] if tid in {t["tid"] for t in after}]
        assert set(tids(page)) & (set(board_new) | set(summary["bumped"]))
        assert tids(page) == bump_order(after)[:len(tids(page))]
        assert len(after) >= len(before)
    with replica_process(tmp_path / "other", ["discuz"], seed=12, options={"discuz": options}) as other:
        assert control(other["discuz"], "advance", {"steps": 3}) != summary


def test_hourly_cap_applies_when_the_flood_interval_is_off(tmp_path: Path) -> None:
    options = {"now": NOW.isoformat(), "threads_per_board": "20", "flood_seconds": "0", "hourly_cap": "2"}
    with replica_process(tmp_path, ["discuz"], options={"discuz": options}) as urls:
        base = urls["discuz"]
        browser = Browser(base)
        browser.login(accounts(base, "中级会员")[0])
        tid = tids(browser.page(f"forum-{FID}-1.html"))[0]
        answers = [browser.reply(tid, f"第{n}条回复") for n in range(3)]
        assert all("succeedhandle_fastpost" in answer for answer in answers[:2])
        assert "抱歉，您所在的用户组每小时限制发回帖 2 个，请稍候再发表" in answers[2]
        accounts_json = json.dumps(control(base, "discuz/accounts"), ensure_ascii=False)
        assert "市长信箱办公室" in accounts_json and "区住建局" in accounts_json
