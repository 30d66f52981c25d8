"""Harvests 领导留言板 boards through the signed API (or the SPA in Chromium): new messages above each board's
tid cursor and those published late below it (spiders/people/lookback.py), every message read whole from the
content API, and open messages re-checked until settled. Board lists come from the signed list API or the unsigned
queryThreadsList (`list_api`), paged by the last item's tid until a short page (spiders/people/paging.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from twisted.python.failure import Failure

from harvester.extract.errors import LayoutChanged
from harvester.registry import Board
from harvester.store.repository import RecheckTarget
from harvester.timeutil import utcnow
from spiders.base import request_of
from spiders.people import api, guard
from spiders.people.api import Answer
from spiders.people.browser_path import BrowserPath
from spiders.people.content import detail_url
from spiders.people.recheck import due_targets
from spiders.people.signing import SignedCall, content_call, list_call

API_HEADERS = {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json, text/plain, */*",
               "token": ""}
FORM_HEADERS = {"Accept": "application/json, text/javascript, */*; q=0.01", "X-Requested-With": "XMLHttpRequest"}


def shell_url(base_url: str, fid: str) -> str:
    return f"{base_url}/threads/list?fid={fid}"


class PeopleSpider(BrowserPath):
    """The API path: a shell page first (WAF cookie, appCode), then signed list and content calls; the
    guard middleware waits out throttling and re-reads the appCode. Falls back to the browser path when
    the API refuses calls signed with a freshly read appCode."""

    name = "people"
    board_subsets = True  # takes `boards=FID,FID` (a board shard of distributed mode): HarvestSpider.chosen_boards
    chosen: tuple[Board, ...]

    async def start(self) -> AsyncIterator[Any]:
        self.chosen = self.chosen_boards()
        if not self.chosen:
            return
        for board in self.chosen:
            self.scans[board.id] = self.new_scan(board)
        if self.via_browser:
            for request in self.opening_requests():
                yield request
        else:
            yield self.shell_request(callback=self.parse_shell)

    def opening_requests(self) -> Iterator[scrapy.Request]:
        for board in self.chosen:
            yield self.list_request(board, "")
        for target in self.due_rechecks():
            self.count("rechecks")
            yield self.content_request(target.external_id, None)

    def due_rechecks(self) -> list[RecheckTarget]:
        """Due re-checks of the chosen boards' messages; those of boards the definition no longer lists go with
        the first board's crawl (a shard's, in distributed mode)."""
        now = utcnow()
        targets = due_targets(self.store, self.name, self.platform, now - self.recheck_after, self.recheck_limit, now)
        chosen, listed = {b.id for b in self.chosen}, {b.id for b in self.platform.boards}
        orphans = self.platform.boards[0].id in chosen
        return [t for t in targets if t.board_id in chosen or (orphans and t.board_id not in listed)]

    # --- requests ------------------------------------------------------------------------------------
    def shell_request(self, callback: Any = NO_CALLBACK) -> scrapy.Request:
        """A board's shell page: sets the WAF cookie and carries the current appCode."""
        return scrapy.Request(shell_url(self.platform.base_url, self.chosen[0].id), callback=callback,
                              errback=self.shell_failed, dont_filter=True, priority=10, meta={guard.SHELL: True})

    def api_request(self, call: SignedCall, referer: str, **kwargs: Any) -> scrapy.Request:
        assert self.release.app_code is not None
        return scrapy.Request(self.platform.base_url + call.path, method="POST", body=call.body(self.release.app_code),
                              headers={**API_HEADERS, "Origin": self.platform.base_url, "Referer": referer},
                              meta={guard.CALL: call, guard.GENERATION: self.release.generation},
                              dont_filter=True, **kwargs)

    def list_request(self, board: Board, last_item: str) -> scrapy.Request:
        """A board's list page below `last_item` ("" for the newest page)."""
        if self.via_browser:
            return self.browser_list_request(board)
        kind, base = self.options.list_kind(board.id), self.platform.base_url
        answers = {"callback": self.parse_list, "errback": self.list_failed,
                   "cb_kwargs": {"board": board, "last_item": last_item}}
        if kind == "form":
            return self.form_list_request(board.id, last_item, **answers)
        call = list_call(board.id, last_item, kind, self.options.rows)
        return self.api_request(call, shell_url(base, board.id), **answers)

    def form_list_request(self, fid: str, last_item: str, **kwargs: Any) -> scrapy.FormRequest:
        """queryThreadsList (family A): form fields fid, state 1 (all), lastItem (0 first), pageSize."""
        base = self.platform.base_url
        fields = {"fid": fid, "state": "1", "lastItem": last_item or "0", "pageSize": str(self.options.rows)}
        return scrapy.FormRequest(base + self.options.form_list_path, formdata=fields,
                                  headers={**FORM_HEADERS, "Origin": base, "Referer": shell_url(base, fid)},
                                  meta={guard.FORM: True}, dont_filter=True, **kwargs)

    def content_request(self, tid: str, board_id: str | None) -> scrapy.Request:
        """`board_id` is the board whose list asked for it (its cursor waits for the answer); None for re-checks."""
        self.requested.add(tid)
        if board_id is not None:
            self.scans[board_id].requested(int(tid))
        if self.via_browser:
            return self.browser_content_request(tid, board_id)
        return self.api_request(content_call(tid), detail_url(self.platform.base_url, tid),
                                callback=self.parse_content, errback=self.content_failed,
                                cb_kwargs={"tid": tid, "board_id": board_id})

    # --- answers -------------------------------------------------------------------------------------
    def parse_shell(self, response: Response) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        try:
            self.release.accept(snapshot)
        except LayoutChanged as error:
            blocked = api.answer(snapshot) is Answer.THROTTLED
            self.record_failure(response.url, "blocked" if blocked else "layout_changed", error.reason)
            self.stop_boards()
            if not blocked:
                yield self.quarantine(snapshot, error.reason)
            return
        yield from self.opening_requests()

    def shell_failed(self, failure: Failure) -> Iterator[Any]:
        self.record_failure(request_of(failure).url, *self.classify(failure))
        self.stop_boards()
        return iter(())

    def stop_boards(self) -> None:
        for scan in self.scans.values():
            scan.list_broken = True

    def parse_list(self, response: Response, board: Board, last_item: str) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        verdict = api.answer(snapshot)
        if verdict is Answer.REJECTED and self.fall_back():
            yield self.list_request(board, last_item)  # the browser starts at the top; known ids are skipped
            return
        yield from self.take_list_answer(board, snapshot, verdict, lambda last: self.list_request(board, last),
                                         self.options.list_kind(board.id), self.options.rows)

    def parse_content(self, response: Response, tid: str, board_id: str | None) -> Iterator[Any]:
        snapshot = self.snapshot(response)
        verdict = api.answer(snapshot)
        if verdict is Answer.REJECTED and self.fall_back():
            yield self.content_request(tid, board_id)
            return
        yield from self.take_content(snapshot, verdict, tid, board_id)

    def fall_back(self) -> bool:
        """Switch the rest of the crawl to the browser once the API refuses a freshly read appCode."""
        if self.via_browser or not self.browser_ready:
            return self.via_browser
        self.via_browser = True
        self.count("browser_fallback")
        self.logger.warning("%s: the API refuses calls signed with a fresh appCode; going on in the browser",
                            self.name)
        return True
