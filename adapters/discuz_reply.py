"""Posts approved replies to Discuz! X threads over plain HTTP: login, formhash, fast reply in the site charset."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import aiohttp
from parsel import Selector

from adapters.protocols import OutcomeUnknown, OutgoingReply, ReplyOutcome, ReplyReceipt
from adapters.retry_after import TOO_MANY_REQUESTS, retry_after_s
from harvester.extract.snapshot import Snapshot
from harvester.extract.text import fragment_text
from harvester.timeutil import utcnow

LOGIN_PATH = "/member.php?mod=logging&action=login&loginsubmit=yes&infloat=yes&lssubmit=yes&inajax=1"
REPLY_PATH = ("/forum.php?mod=post&action=reply&fid={fid}&tid={tid}&extra=page%3D1&replysubmit=yes&infloat=yes"
              "&handlekey=fastpost&inajax=1")
FLOOD = re.compile(r"间隔少于\s*(\d+)\s*秒")  # 抱歉，您两次发表间隔少于 50 秒，请稍候再发表
HOURLY_CAP = "每小时限制"  # 抱歉，您所在的用户组每小时限制发回帖 30 个 (the window rolls: wait it out)
MODERATED = "需要审核"  # 回复需要审核，请等待通过: stored, hidden until a moderator approves it
PENDING_MARK = "待审核"  # post footer `<span class="xg1">(待审核)</span>`: a queued reply, shown to its author
SESSION_LOST = ("您还未登录", "请先登录", "表单验证串不符")  # logged out, or the formhash no longer matches
HANDLER = re.compile(r"(succeedhandle|errorhandle)_\w+\('((?:[^'\\]|\\.)*)'(?:,\s*'((?:[^'\\]|\\.)*)')?")
VIEWER_UID = re.compile(r"discuz_uid\s*=\s*'(\d+)'")
HOUR_S = 3600.0

CredentialsLookup = Callable[[str], Mapping[str, str]]



@dataclass(frozen=True, slots=True)
class AjaxAnswer:
    """An inajax XML answer: which handler it calls, the message shown, and the redirect URL on success."""

    ok: bool
    message: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadForm:
    """What posting needs from the thread page: who the forum thinks we are, the formhash, fid and charset."""

    uid: str
    formhash: str
    fid: str
    charset: str


def parse_ajax(snapshot: Snapshot) -> AjaxAnswer:
    """Decode by the XML declaration (the header names no charset) and read the handler call in the CDATA."""
    found = HANDLER.search(snapshot.text)
    if found is None:
        raise OutcomeUnknown(f"{snapshot.url}: HTTP {snapshot.status}, no inajax handler in the answer")
    if found.group(1) == "succeedhandle":
        return AjaxAnswer(True, found.group(3) or "", url=found.group(2))
    return AjaxAnswer(False, found.group(2))


def _receipt(outcome: ReplyOutcome, message: str, pid: str | None = None,
             retry_after_s: float | None = None) -> ReplyReceipt:
    return ReplyReceipt(outcome=outcome, platform_reply_id=pid, platform_message=message,
                        retry_after_s=retry_after_s, raw=message[:200])


def throttled(snapshot: Snapshot) -> ReplyReceipt | None:
    """RETRY_LATER for a 429: the rate limit in front of the forum (nginx limit_req, the host's CDN) turned the
    request away before Discuz saw it, so nothing was stored; wait as its Retry-After says."""
    if snapshot.status != TOO_MANY_REQUESTS:
        return None
    wait = retry_after_s(snapshot.headers.get("retry-after"))
    return _receipt(ReplyOutcome.RETRY_LATER, f"论坛限流（HTTP {snapshot.status}）", retry_after_s=wait)


def classify(answer: AjaxAnswer) -> ReplyReceipt | None:
    """The receipt for a fast-reply answer; None when the session was lost (log in again and resend)."""
    if answer.ok:
        pid = re.search(r"[?&]pid=(\d+)", answer.url or "")
        return _receipt(ReplyOutcome.POSTED, answer.message, pid.group(1) if pid else None)
    text = answer.message
    flood = FLOOD.search(text)
    if flood:
        return _receipt(ReplyOutcome.RETRY_LATER, text, retry_after_s=float(flood.group(1)))
    if HOURLY_CAP in text:
        return _receipt(ReplyOutcome.RETRY_LATER, text, retry_after_s=HOUR_S)
    if MODERATED in text:
        return _receipt(ReplyOutcome.PENDING_MODERATION, text)
    if any(marker in text for marker in SESSION_LOST):
        return None
    return _receipt(ReplyOutcome.REJECTED, text)  # read permission, closed thread, empty text, captcha …


def viewer_uid(snapshot: Snapshot) -> str | None:
    """The uid the forum served this page to ('0' for a guest), None if the page does not say."""
    found = VIEWER_UID.search(snapshot.text)
    return found.group(1) if found else None


def thread_form(snapshot: Snapshot, board_id: str | None) -> ThreadForm:
    """The form fields of a thread page (a refusal notice still carries the formhash)."""
    page = Selector(text=snapshot.text)
    uid = viewer_uid(snapshot)
    formhash = page.css("input[name=formhash]::attr(value)").get()
    fid = page.css("input[name=srhfid]::attr(value)").get() or board_id
    if uid is None or not formhash or not fid:
        raise OutcomeUnknown(f"{snapshot.url}: not a Discuz page (no discuz_uid, formhash or fid)")
    return ThreadForm(uid=uid, formhash=formhash, fid=fid, charset=snapshot.charset)


@dataclass(frozen=True, slots=True)
class OwnPost:
    """A post by the logged-in account as its thread page shows it to that account."""

    pid: str
    text: str
    pending: bool  # still in the moderation queue: its author sees it marked (待审核), nobody else sees it


def posts_by(snapshot: Snapshot, author: str) -> list[OwnPost]:
    """Every post by `author` with readable text on a thread page, published or (seen as its author) awaiting
    approval; OutcomeUnknown if it is no thread page."""
    page = Selector(text=snapshot.text)
    if not page.css("div#postlist"):
        raise OutcomeUnknown(f"{snapshot.url}: no post list on the page")
    found = []
    for post in page.css("div#postlist div[id^=post_]"):
        pid = post.attrib["id"].removeprefix("post_")
        body = post.css(f"td.t_f#postmessage_{pid}, div.t_f#postmessage_{pid}")  # X3.x td, X5-era div
        if body and _author(post) == author:
            pending = any(PENDING_MARK in mark for mark in post.css("div.pob em span.xg1::text").getall())
            found.append(OwnPost(pid, fragment_text(body[0].get()), pending))
    return found


def _author(post: Selector) -> str:
    """The post's author link: left column with authoronleft on (the install default), post header without."""
    link = post.css("td.pls div.pi div.authi a.xw1") or post.css("td.plc div.authi a.xi2")
    return " ".join(link[0].css("::text").getall()).strip() if link else ""


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class DiscuzReplyAdapter:
    """ReplyAdapter for a Discuz! X forum: one cookie session per account, replies as fast posts.

    `credentials_lookup(account)` returns {username, password}; they go into the login form only, never into
    URLs, logs or receipts. Forms are encoded in the charset the thread page declares (GBK sites get GBK).
    """

    def __init__(self, base_url: str, credentials_lookup: CredentialsLookup, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials_lookup
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clients: dict[str, aiohttp.ClientSession] = {}

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        """Send the reply once; a lost session (not logged in, stale formhash) logs in again and resends once,
        then ends in auth_expired. Raises OutcomeUnknown when the answer cannot be read after sending."""
        for relogin in (False, True):
            try:
                opened = await self._open(reply, relogin)
            except (aiohttp.ClientError, OutcomeUnknown) as error:  # nothing was sent yet
                return _receipt(ReplyOutcome.RETRY_LATER, f"帖子页面无法打开：{error or type(error).__name__}")
            if isinstance(opened, ReplyReceipt):
                return opened
            answer = await self._send(reply, opened)
            receipt = answer if isinstance(answer, ReplyReceipt) else classify(answer)
            if receipt is not None:
                return receipt
        return _receipt(ReplyOutcome.AUTH_EXPIRED, "重新登录后仍提示未登录或表单验证串不符")

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        """The receipt of a post by this account with the reply's text (whitespace aside), read as that account:
        POSTED when published, PENDING_MODERATION when it waits in the moderation queue (Discuz shows a queued
        reply to its author and to moderators, marked 待审核). Every page must be served to the logged-in
        account — a page served to a guest would hide a queued reply — or the answer is OutcomeUnknown, never
        "absent"."""
        try:
            opened = await self._open(reply, relogin=False)
            if isinstance(opened, ReplyReceipt):
                raise OutcomeUnknown(f"{reply.message_url}: cannot log in ({opened.platform_message})")
            username, url = self._credentials(reply.account)["username"], reply.message_url
            for _ in range(500):
                snapshot = await self._get(reply.account, url)
                if throttled(snapshot) is not None:
                    raise OutcomeUnknown(f"{url}: HTTP {snapshot.status}, rate limited: cannot tell")
                if viewer_uid(snapshot) != opened.uid:
                    raise OutcomeUnknown(f"{url}: the forum no longer sees this account as logged in")
                for post in posts_by(snapshot, username):
                    if _same_text(post.text, reply.text):
                        if post.pending:
                            return _receipt(ReplyOutcome.PENDING_MODERATION, "回复已在帖子中，等待审核", post.pid)
                        return _receipt(ReplyOutcome.POSTED, "回复已在帖子中", post.pid)
                next_href = Selector(text=snapshot.text).css("div.pg a.nxt::attr(href)").get()
                if not next_href:
                    return None
                url = urljoin(url, next_href)
        except aiohttp.ClientError as error:
            raise OutcomeUnknown(f"{reply.message_url}: {type(error).__name__}") from error
        raise OutcomeUnknown(f"{reply.message_url}: the pager never ends")

    async def close(self) -> None:
        """Close every account's HTTP session; idempotent."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()

    # --- HTTP ----------------------------------------------------------------------------------------
    def _client(self, account: str, fresh: bool = False) -> aiohttp.ClientSession:
        if fresh or account not in self._clients:
            # Cookies of a forum addressed by IP (loopback, intranet) are only kept by an "unsafe" jar.
            self._clients[account] = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                                           timeout=self._timeout)
        return self._clients[account]

    async def _get(self, account: str, url: str) -> Snapshot:
        async with self._client(account).get(url) as response:
            return await _snapshot(response)

    async def _post_form(self, account: str, path: str, fields: Mapping[str, str], charset: str) -> Snapshot:
        body = urlencode(fields, encoding=charset, errors="xmlcharrefreplace")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with self._client(account).post(self.base_url + path, data=body.encode("ascii"),
                                              headers=headers) as response:
            return await _snapshot(response)

    async def _open(self, reply: OutgoingReply, relogin: bool) -> ThreadForm | ReplyReceipt:
        """The thread's form as this account, logging in first when the forum sees a guest (or when asked)."""
        page = await self._get(reply.account, reply.message_url)
        limited = throttled(page)
        if limited is not None:
            return limited
        form = thread_form(page, reply.board_id)
        if form.uid != "0" and not relogin:
            return form
        if relogin:
            old = self._clients.pop(reply.account, None)
            if old is not None:
                await old.close()
        refusal = await self._login(reply.account, form.charset)
        if refusal is not None:
            return refusal
        form = thread_form(await self._get(reply.account, reply.message_url), reply.board_id)
        return form if form.uid != "0" else _receipt(ReplyOutcome.AUTH_EXPIRED, "登录后论坛仍视为游客")

    async def _login(self, account: str, charset: str) -> ReplyReceipt | None:
        secrets = self._credentials(account)
        fields = {"username": secrets["username"], "password": secrets["password"], "quickforward": "yes",
                  "handlekey": "ls"}
        snapshot = await self._post_form(account, LOGIN_PATH, fields, charset)
        limited = throttled(snapshot)
        if limited is not None:
            return limited
        answer = parse_ajax(snapshot)
        return None if answer.ok else _receipt(ReplyOutcome.AUTH_EXPIRED, answer.message)

    async def _send(self, reply: OutgoingReply, form: ThreadForm) -> AjaxAnswer | ReplyReceipt:
        """POST the fast reply (the message's external_id is the tid); a receipt when nothing was stored."""
        fields = {"formhash": form.formhash, "message": reply.text, "subject": "  ", "usesig": "1",
                  "posttime": str(int(time.time()))}
        path = REPLY_PATH.format(fid=form.fid, tid=reply.external_id)
        try:
            snapshot = await self._post_form(reply.account, path, fields, form.charset)
        except aiohttp.ClientConnectorError:  # never connected: nothing was sent
            return _receipt(ReplyOutcome.RETRY_LATER, "论坛暂时无法连接")
        except aiohttp.ClientError as error:
            raise OutcomeUnknown(f"{reply.message_url}: {type(error).__name__} after sending") from error
        limited = throttled(snapshot)
        if limited is not None:
            return limited
        if snapshot.status >= 500:
            return _receipt(ReplyOutcome.RETRY_LATER, f"论坛繁忙（HTTP {snapshot.status}）")
        return parse_ajax(snapshot)


async def _snapshot(response: aiohttp.ClientResponse) -> Snapshot:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Snapshot(url=str(response.url), status=response.status, body=await response.read(),
                    fetched_at=utcnow(), headers=headers)
