"""Posts approved replies through the 领导留言板 units' back office with Playwright: TOTP login, the unit's
JavaScript work list, its reply form; and finds a reply already posted before anything is sent again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import pyotp
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, Route

from adapters.backoffice import BrowserBackOffice, normalised, receipt
from adapters.browser import first_line
from adapters.protocols import OutcomeUnknown, OutgoingReply, ReplyOutcome, ReplyReceipt

LOGIN_PATH, LOGOUT_PATH, WORKLIST_PATH = "/backoffice/login", "/backoffice/logout", "/backoffice/"
REPLY_PATH, REPLIES_PATH = "/backoffice/reply", "/backoffice/api/replies"
WORKLIST_READY = "body[data-ready=done]"  # the work list's script has rendered the unit's messages
NOT_THIS_UNIT = "留言不存在或不属于本单位"  # the back office's own words (BO404)
REFUSED = {"BO400", "BO404"}  # too short, not this unit's message: refused for good, nothing stored
STALE_FORM = "BO403"  # csrf no longer matches the session: checked before anything is stored
SESSION_ENDED = "BO401"




def classify(status: int, answer: Mapping[str, Any]) -> ReplyReceipt:
    """The back office's JSON answer to a reply POST as a receipt; OutcomeUnknown for anything else."""
    code, message = answer.get("code"), str(answer.get("msg") or "")
    if status == 200 and code == 0 and answer.get("answerId") is not None:
        return receipt(ReplyOutcome.POSTED, message or "回复成功", status, str(answer["answerId"]))
    if code == STALE_FORM:
        return receipt(ReplyOutcome.RETRY_LATER, message, status, retry_after_s=0)
    if code in REFUSED and 400 <= status < 500:
        return receipt(ReplyOutcome.REJECTED, message, status)
    raise OutcomeUnknown(f"reply sent, unrecognised answer: HTTP {status} {json.dumps(answer)[:120]}")


class PeopleReplyAdapter(BrowserBackOffice):
    """ReplyAdapter for the 领导留言板 back office (`/backoffice/`), one handling unit per account.

    `credentials_lookup(account)` returns {username, password, totp_secret}; they are typed into the login
    form only, never logged, put in URLs or receipts. Without a `fetcher` the adapter starts its own browser
    and closes it in `close()`. One login per site at a time: calls are serialised, and a call for another
    account than the last one logs out first.
    """

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        """Send the reply once from the unit's work list. A session that ended before the send (BO401, or the
        login page instead of the list) is renewed once; OutcomeUnknown when the answer cannot be read."""
        async with self._lock, self._fetcher.page(self.base_url) as page:
            for _ in range(2):
                try:
                    opened = await self._worklist(page, reply.account)
                except PlaywrightError as error:  # nothing was sent yet
                    return receipt(ReplyOutcome.RETRY_LATER, f"办理系统无法打开：{first_line(error)}", 0)
                if isinstance(opened, ReplyReceipt):
                    return opened
                form = await self._reply_form(page, reply.external_id)
                if form is None:
                    return receipt(ReplyOutcome.REJECTED, NOT_THIS_UNIT, 200)
                status, answer = await self._submit(page, form, reply.text)
                if answer.get("code") != SESSION_ENDED:
                    return classify(status, answer)
                self._account = None
            return receipt(ReplyOutcome.AUTH_EXPIRED, "重新登录后提交仍被要求登录", 401)

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        """This unit's reply to the message whose text equals `reply.text` (whitespace aside), else None."""
        async with self._lock, self._fetcher.page(self.base_url) as page:
            for _ in range(2):
                try:
                    if self._account != reply.account:
                        refused = await self._switch(page, reply.account)
                        if refused is not None:
                            raise OutcomeUnknown(f"cannot log in ({refused.platform_message})")
                    answer = await page.request.get(f"{self.base_url}{REPLIES_PATH}?tid={quote(reply.external_id)}")
                    status, body = answer.status, await answer.body()
                except PlaywrightError as error:
                    raise OutcomeUnknown(f"{REPLIES_PATH}: {first_line(error)}") from error
                if status == 401:
                    self._account = None
                    continue
                if status == 404:
                    return None  # not this unit's message: it cannot hold a reply of ours
                return _match(status, body, reply.text)
            raise OutcomeUnknown(f"{REPLIES_PATH}: the session ends as soon as it starts")

    async def _worklist(self, page: Page, account: str) -> ReplyReceipt | None:
        """Open the unit's rendered work list, logging in (again) if the back office asks."""
        if self._account != account:
            refused = await self._switch(page, account)
            if refused is not None:
                return refused
        await page.goto(self.base_url + WORKLIST_PATH, timeout=self._timeout_ms, wait_until="domcontentloaded")
        if urlsplit(page.url).path == LOGIN_PATH:
            refused = await self._switch(page, account)
            if refused is not None:
                return refused
            await page.goto(self.base_url + WORKLIST_PATH, timeout=self._timeout_ms, wait_until="domcontentloaded")
        await page.wait_for_selector(WORKLIST_READY, state="attached", timeout=self._timeout_ms)
        return None

    async def _switch(self, page: Page, account: str) -> ReplyReceipt | None:
        """End whatever session the context holds and log in as `account`; a receipt if the login is refused."""
        await page.request.post(self.base_url + LOGOUT_PATH, max_redirects=0)
        self._account = None
        credentials = self._credentials(account)
        await page.goto(self.base_url + LOGIN_PATH, timeout=self._timeout_ms, wait_until="domcontentloaded")
        await page.fill("input[name=username]", credentials["username"])
        await page.fill("input[name=password]", credentials["password"])
        await page.fill("input[name=otp]", pyotp.TOTP(credentials["totp_secret"]).now())
        async with page.expect_navigation(timeout=self._timeout_ms, wait_until="domcontentloaded"):
            await page.click("form#loginForm [type=submit]")
        if urlsplit(page.url).path == LOGIN_PATH:
            notice = page.locator("p.error")
            message = (await notice.first.text_content() or "") if await notice.count() else ""
            return receipt(ReplyOutcome.AUTH_EXPIRED, normalised(message) or "登录失败", 200)
        self._account = account
        return None

    async def _reply_form(self, page: Page, tid: str) -> Locator | None:
        """The reply form of the message's row, opened; None if the unit's list does not hold the message."""
        row = page.locator(f'#messages tr[data-tid="{tid}"]')
        if not await row.count():
            return None
        await row.locator(".replyButton").click()
        return page.locator(f'#messages tr[data-tid="{tid}"] + tr.replyRow form.replyForm')

    async def _submit(self, page: Page, form: Locator, text: str) -> tuple[int, dict[str, Any]]:
        """Send the form once and read the JSON answer. Chromium silently re-sends a POST whose reused
        connection drops, so the call leaves through Playwright's own client without retries."""
        box = form.locator("textarea[name=content]")
        await box.fill(text)
        if await box.input_value() != text.replace("\r\n", "\n"):
            raise OutcomeUnknown("the reply form did not take the whole text; nothing was sent")
        lost: list[PlaywrightError] = []

        async def send_once(route: Route) -> None:
            try:
                answer = await route.fetch(max_retries=0, timeout=self._timeout_ms)
            except PlaywrightError as error:
                lost.append(error)
                await route.abort("connectionclosed")
                return
            await route.fulfill(response=answer)

        await page.route(f"**{REPLY_PATH}", send_once)
        try:
            async with page.expect_response(lambda r: urlsplit(r.url).path == REPLY_PATH,
                                            timeout=self._timeout_ms) as info:
                await form.locator("[type=submit]").click()
            response = await info.value
            return response.status, await response.json()
        except (PlaywrightError, ValueError) as error:
            reason = first_line(lost[0] if lost else error)
            raise OutcomeUnknown(f"reply sent, no readable answer came back: {reason}") from error
        finally:
            await page.unroute(f"**{REPLY_PATH}", send_once)


def _match(status: int, body: bytes, text: str) -> ReplyReceipt | None:
    """The unit's reply with this text from /backoffice/api/replies, None if absent; OutcomeUnknown if unreadable."""
    try:
        data = json.loads(body)
        replies = data["replies"] if status == 200 and data.get("code") == 0 else None
    except (ValueError, KeyError, AttributeError):
        replies = None
    if not isinstance(replies, list):
        raise OutcomeUnknown(f"{REPLIES_PATH}: HTTP {status}, no reply list in the answer")
    wanted = normalised(text)
    for reply in replies:
        if normalised(str(reply.get("content", ""))) == wanted:
            return receipt(ReplyOutcome.POSTED, f"已找到{reply.get('organization', '')}的回复", status,
                            str(reply.get("answerId")))
    return None
