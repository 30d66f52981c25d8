"""Posts approved replies through a Hanweb jact back office with Playwright: TOTP login, reply form, answer."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pyotp
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response, Route

from adapters.backoffice import BrowserBackOffice, normalised, receipt
from adapters.browser import first_line
from adapters.protocols import OutcomeUnknown, OutgoingReply, ReplyOutcome, ReplyReceipt
from adapters.retry_after import TOO_MANY_REQUESTS, retry_after_s

LOGIN_PATH = "/jact/admin/login.do"
LOGOUT_PATH = "/jact/admin/logout.do"
REPLY_PATH = "/jact/admin/reply.do"
SUCCESS = "回复成功"
BUSY = "系统繁忙"  # the application's own 503: it turned the request away before doing anything
STALE_FORM = "页面已过期"  # csrf token no longer matches the session: checked before anything is stored
NO_PERMISSION = "无权回复该信件"
READ_REPLIES = """items => items.map(li => ({
  id: li.getAttribute('data-reply-id') || '',
  unit: (li.querySelector('.reply-unit') || {}).textContent || '',
  text: (li.querySelector('.reply-content') || {}).textContent || ''}))"""




def _on_login(page: Page) -> bool:
    return urlsplit(page.url).path == LOGIN_PATH


async def _text(page: Page, css: str) -> str:
    """Whitespace-normalised text of the first match, '' when nothing matches (no waiting)."""
    found = page.locator(css)
    return normalised(await found.first.text_content() or "") if await found.count() else ""


async def _tip(page: Page, css: str = "#tip") -> str:
    """The back office's one-line notice (success or refusal); '' if none."""
    return await _text(page, css)


class JactReplyAdapter(BrowserBackOffice):
    """ReplyAdapter for the jact 市长信箱 back office (`/jact/admin/`), one handling unit per account.

    `credentials_lookup(account)` returns {username, password, totp_secret}; they are typed into the login
    form only, never logged, put in URLs or receipts. Without a `fetcher` the adapter starts its own browser
    and closes it in `close()`; a shared fetcher is left to its owner.

    The fetcher keeps one browser context per site, so one login per site at a time: calls are serialised,
    and a call for another account than the last one (or the first call) logs out before logging in.
    """

    async def post(self, reply: OutgoingReply) -> ReplyReceipt:
        """Send the reply once. Raises OutcomeUnknown when the send may have landed but the answer is unreadable.

        A login page on open or after submitting means the session ended before anything was stored: log in
        and go on, once; a second login page after submitting ends in auth_expired.
        """
        async with self._lock, self._fetcher.page(self.base_url) as page:
            for _ in range(2):
                try:
                    opened = await self._open(page, reply)
                except PlaywrightError as error:  # nothing was sent yet
                    return receipt(ReplyOutcome.RETRY_LATER, f"回复页面无法打开：{first_line(error)}", 0)
                if isinstance(opened, ReplyReceipt):
                    return opened
                refused = await self._form_refusal(page, opened)
                if refused is not None:
                    return refused
                response = await self._submit(page, reply.text)
                if not _on_login(page):
                    return await self._classify(page, response)
            return receipt(ReplyOutcome.AUTH_EXPIRED, "重新登录后提交仍被要求登录", 200)

    async def find_existing(self, reply: OutgoingReply) -> ReplyReceipt | None:
        """The receipt of a reply by this unit whose text equals `reply.text` (whitespace aside), else None."""
        async with self._lock, self._fetcher.page(self.base_url) as page:
            try:
                opened = await self._open(page, reply)
            except PlaywrightError as error:
                raise OutcomeUnknown(f"{self._reply_path(reply)}: {first_line(error)}") from error
            if isinstance(opened, ReplyReceipt):
                raise OutcomeUnknown(f"{self._reply_path(reply)}: cannot log in ({opened.platform_message})")
            if await _tip(page) == NO_PERMISSION:
                return None  # not this unit's letter: it cannot hold a reply of ours, and a post would be refused
            if opened != 200 or not await page.locator("ul#replies").count():
                raise OutcomeUnknown(f"{self._reply_path(reply)}: HTTP {opened}, no reply list on the page")
            return await self._match(page, reply.text)

    def _reply_path(self, reply: OutgoingReply) -> str:
        return f"{REPLY_PATH}?transactId={quote(reply.external_id)}"

    async def _goto(self, page: Page, path: str) -> int:
        response = await page.goto(self.base_url + path, timeout=self._timeout_ms, wait_until="domcontentloaded")
        return response.status if response is not None else 200

    async def _open(self, page: Page, reply: OutgoingReply) -> int | ReplyReceipt:
        """Open the letter's reply page, logging in once if the back office asks; the page's HTTP status."""
        if self._account != reply.account:
            await self._goto(page, LOGOUT_PATH)  # the context may hold another unit's session
            self._account = None
        status = await self._goto(page, self._reply_path(reply))
        if not _on_login(page):
            return status
        refused = await self._login(page, reply.account)
        if refused is not None:
            return refused
        status = await self._goto(page, self._reply_path(reply))
        if _on_login(page):
            return receipt(ReplyOutcome.AUTH_EXPIRED, "登录后仍被要求登录", status)
        return status

    async def _login(self, page: Page, account: str) -> ReplyReceipt | None:
        """Fill the login form with the account's password and current TOTP code; a receipt if refused."""
        if not await page.locator("form#loginForm").count():
            raise OutcomeUnknown(f"{page.url}: no login form on the login page")
        credentials = self._credentials(account)
        await page.fill("input[name=username]", credentials["username"])
        await page.fill("input[name=password]", credentials["password"])
        await page.fill("input[name=dynamicCode]", pyotp.TOTP(credentials["totp_secret"]).now())
        async with page.expect_navigation(timeout=self._timeout_ms, wait_until="domcontentloaded"):
            await page.click("form#loginForm [type=submit]")
        if _on_login(page):
            return receipt(ReplyOutcome.AUTH_EXPIRED, await _tip(page) or "登录失败", 200)
        self._account = account
        return None

    async def _form_refusal(self, page: Page, status: int) -> ReplyReceipt | None:
        """Why the reply cannot be sent from this page (server busy, no permission, unknown letter)."""
        if status >= 500:
            return receipt(ReplyOutcome.RETRY_LATER, await _tip(page) or f"回复页面返回 HTTP {status}", status)
        if await page.locator("form#replyForm textarea[name=content]").count():
            return None
        notice = await _tip(page)
        if not notice:
            raise OutcomeUnknown(f"{page.url}: HTTP {status}, neither a reply form nor a notice")
        return receipt(ReplyOutcome.REJECTED, notice, status)

    async def _submit(self, page: Page, text: str) -> Response | None:
        box = page.locator("form#replyForm textarea[name=content]")
        await box.fill(text)
        if await box.input_value() != text.replace("\r\n", "\n"):
            raise OutcomeUnknown("the reply form did not take the whole text; nothing was sent")
        # Chromium silently re-sends a POST whose reused keep-alive connection drops without an answer, so a
        # reply could be stored twice behind our back. The form's POST therefore leaves through Playwright's
        # own client, without retries and without following redirects (the page follows them itself).
        lost: list[PlaywrightError] = []

        async def send_once(route: Route) -> None:
            if route.request.method != "POST" or not route.request.is_navigation_request():
                await route.continue_()
                return
            try:
                answer = await route.fetch(max_redirects=0, max_retries=0, timeout=self._timeout_ms)
            except PlaywrightError as error:
                lost.append(error)
                await route.abort("connectionclosed")
                return
            await route.fulfill(response=answer)

        await page.route(f"**{REPLY_PATH}*", send_once)
        try:
            async with page.expect_navigation(timeout=self._timeout_ms, wait_until="domcontentloaded") as navigation:
                await page.click("form#replyForm [type=submit]")
            return await navigation.value
        except PlaywrightError as error:
            reason = first_line(lost[0] if lost else error)
            raise OutcomeUnknown(f"reply sent, no answer came back: {reason}") from error
        finally:
            await page.unroute(f"**{REPLY_PATH}*", send_once)

    async def _classify(self, page: Page, response: Response | None) -> ReplyReceipt:
        """Map the back office's answer to a receipt; anything unrecognised after a send is OutcomeUnknown."""
        status = response.status if response is not None else 0
        notice = await _tip(page)
        if status == 200 and SUCCESS in notice:
            reply_id = await _text(page, "span#replyId")
            if reply_id:
                return receipt(ReplyOutcome.POSTED, notice, status, reply_id)
        elif (status == TOO_MANY_REQUESTS or (status == 503 and BUSY in notice)) and response is not None:
            # the rate limit (429) or the application itself (503 系统繁忙) turned the POST away unhandled
            wait = retry_after_s((await response.all_headers()).get("retry-after"))
            words = notice or f"HTTP {status} Too Many Requests"
            return receipt(ReplyOutcome.RETRY_LATER, words, status, retry_after_s=wait)
        elif status == 403 and STALE_FORM in notice:
            return receipt(ReplyOutcome.RETRY_LATER, notice, status, retry_after_s=0)
        elif status == 200 and await _tip(page, "#tip.error"):
            return receipt(ReplyOutcome.REJECTED, notice, status)
        raise OutcomeUnknown(f"reply sent, unrecognised answer: HTTP {status} {notice[:80]!r}")

    async def _match(self, page: Page, text: str) -> ReplyReceipt | None:
        unit = await _text(page, "#currentUnit")
        if not unit:
            raise OutcomeUnknown(f"{page.url}: the logged-in unit is not shown; cannot tell whose replies are ours")
        shown = await page.eval_on_selector_all("ul#replies li.reply", READ_REPLIES)
        wanted = normalised(text)
        for item in shown:
            if normalised(item["unit"]) == unit and normalised(item["text"]) == wanted:
                return receipt(ReplyOutcome.POSTED, f"已找到{unit}的回复", 200, item["id"] or None)
        return None
