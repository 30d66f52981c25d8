"""Page objects for the SPA shell and the signed JSON API: what an answer is, list pages, the appCode.

Pure functions of a recorded snapshot (from Scrapy or captured in the browser); they never fetch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from harvester.timeutil import from_unix

THROTTLE_STATUSES = (403, 429)
REJECTED_CODE = "SN0006"  # 数据格式错误: bad signature or a stale appCode
FORM_SUCCESS = "success"  # queryThreadsList's `result` when it answered
PUBLISHED_KEYS = ("threadsCheckTime", "createDateline", "dateline")
NOT_FOUND_CODES = ("TH0001",)  # the message was deleted or never public
SMALL_BODY = 2048  # refusals are tiny; data answers are not parsed twice just to classify them
_APP_CODE = re.compile(r"""window\.SITE_CONFIG\s*=\s*\{[^}]*?appCode\s*:\s*['"]([A-Za-z0-9]+)['"]""")
_SCRIPT = re.compile(r"""<script[^>]+src=["']([^"']*/pcjs/app\.[0-9a-f]+\.js)["']""")


class Answer(StrEnum):
    """What the API said, before any parsing of its data."""

    OK = "ok"
    THROTTLED = "throttled"  # 403/429 from the WAF, or an empty 200 under throttling: back off and retry
    REJECTED = "rejected"  # SN0006: re-read the appCode; again with a fresh one: the API refuses this client
    NOT_FOUND = "not_found"  # the message is gone
    ERROR = "error"  # any other code: the API changed or broke


@dataclass(frozen=True, slots=True)
class ShellPage:
    """What the harvester reads from an SPA shell: the release's appCode and its bundle."""

    app_code: str
    script: str | None


@dataclass(frozen=True, slots=True)
class ListItem:
    """One message as a board list shows it (its content there is cut short: never used as the body)."""

    tid: int
    subject: str
    state: str
    graded: bool
    published: datetime | None = None  # threadsCheckTime (approval), else the posting time; None: neither given


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """An item that could not be read while others of its page could: its JSON, why, where it stood in the
    answer, and its tid when that reads (to hold the board's cursor below it)."""

    raw: str
    reason: str
    position: int
    tid: int | None = None


@dataclass(frozen=True, slots=True)
class ListPage:
    """One list call's items, newest first. The next call starts below the last item (`next_cursor`); whether
    there is one is the caller's to judge (spiders/people/paging.py): no cursor field of the answer is trusted."""

    items: tuple[ListItem, ...]
    rejected: tuple[RejectedItem, ...] = ()

    @property
    def size(self) -> int:
        """Items the answer held, read or not (to judge whether the list has ended)."""
        return len(self.items) + len(self.rejected)

    @property
    def oldest(self) -> int | None:
        return min((item.tid for item in self.items), default=None)

    @property
    def next_cursor(self) -> str:
        """The `lastItem` of the next call: the last item's tid, as every public crawler pages ("" when empty)."""
        last = self.rejected[-1] if self.rejected else None
        if last is not None and last.position == self.size - 1 and last.tid is not None:
            return str(last.tid)  # the answer's last item did not read, but its tid did
        return str(self.items[-1].tid) if self.items else ""


def parse_shell(snapshot: Snapshot) -> ShellPage:
    """The inline `window.SITE_CONFIG.appCode`; LayoutChanged when the shell no longer carries it."""
    text = snapshot.text
    found = _APP_CODE.search(text)
    if found is None:
        raise LayoutChanged("shell: window.SITE_CONFIG.appCode not found")
    script = _SCRIPT.search(text)
    return ShellPage(app_code=found.group(1), script=script.group(1) if script else None)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def answer(snapshot: Snapshot) -> Answer:
    """Classify an API answer by status and code; a data answer's JSON is left to the page objects. The signed API
    says `code` (0 = ok); queryThreadsList says `result` ("success", else `resultDesc` tells why)."""
    body = snapshot.body.strip()
    if snapshot.status in THROTTLE_STATUSES or (snapshot.status == 200 and not body):
        return Answer.THROTTLED
    if snapshot.status != 200:
        return Answer.ERROR
    if len(body) > SMALL_BODY:
        return Answer.OK
    data = _json(body)
    if "result" in data and "code" not in data:
        return Answer.OK if data["result"] == FORM_SUCCESS and data.get("success") is not False else Answer.ERROR
    code = data.get("code")
    if code == REJECTED_CODE:
        return Answer.REJECTED
    if code in NOT_FOUND_CODES:
        return Answer.NOT_FOUND
    return Answer.OK if code == 0 else Answer.ERROR


def result_data(snapshot: Snapshot, what: str) -> dict[str, Any]:
    """`resultData` of a code-0 answer; LayoutChanged names what is missing."""
    try:
        data = json.loads(snapshot.body)
    except ValueError as error:
        raise LayoutChanged(f"{what}: not JSON ({error})") from error
    if not isinstance(data, dict) or data.get("code") != 0:
        raise LayoutChanged(f"{what}: code {data.get('code') if isinstance(data, dict) else None!r}, expected 0")
    result = data.get("resultData")
    if not isinstance(result, dict):
        raise LayoutChanged(f"{what}: resultData missing")
    return result


def require(entry: dict[str, Any], key: str, what: str) -> Any:
    if key not in entry or entry[key] is None:
        raise LayoutChanged(f"{what}: field {key!r} missing")
    return entry[key]


def _item(entry: Any) -> ListItem:
    if not isinstance(entry, dict):
        raise LayoutChanged("list: an item is not an object")
    tid = require(entry, "tid", "list item")
    if not str(tid).isdigit():
        raise LayoutChanged(f"list item: tid {tid!r} is not a number")
    return ListItem(tid=int(tid), subject=str(require(entry, "subject", "list item")),
                    state=str(require(entry, "stateInfo", "list item")),
                    graded=entry.get("gradeManner") is not None, published=_published(entry))


def _published(entry: dict[str, Any]) -> datetime | None:
    """When the message was approved and listed: `threadsCheckTime` (hours or days after posting for some), else
    `createDateline`/`dateline` (posting) where a list leaves it out; unix seconds."""
    for key in PUBLISHED_KEYS:
        value = entry.get(key)
        if value not in (None, ""):
            if not str(value).isdigit():
                raise LayoutChanged(f"list item: {key} {value!r} is not unix seconds")
            return from_unix(value)
    return None


def _list_entries(snapshot: Snapshot) -> list[Any]:
    """The items of either envelope: `{code: 0, resultData: {data: [...]}}` (signed /v1/threads/list/{df,bw}) or
    `{result: "success", success: true, responseData: [...]}` (queryThreadsList, family A)."""
    try:
        data = json.loads(snapshot.body)
    except ValueError as error:
        raise LayoutChanged(f"list: not JSON ({error})") from error
    if isinstance(data, dict) and "responseData" in data and "resultData" not in data:
        if data.get("result") != FORM_SUCCESS or data.get("success") is False:
            raise LayoutChanged(f"list: result {data.get('result')!r} ({data.get('resultDesc')!r}), expected "
                                f"{FORM_SUCCESS!r}")
        entries = data["responseData"]
        if not isinstance(entries, list):
            raise LayoutChanged("list: responseData is not a list")
        return entries
    if isinstance(data, dict) and "code" not in data:
        raise LayoutChanged("list: neither resultData.data (signed API) nor responseData (queryThreadsList)")
    entries = result_data(snapshot, "list").get("data")
    if not isinstance(entries, list):
        raise LayoutChanged("list: resultData.data is not a list")
    return entries


def _tid(entry: Any) -> int | None:
    tid = entry.get("tid") if isinstance(entry, dict) else None
    return int(tid) if tid is not None and str(tid).isdigit() else None


def parse_list(snapshot: Snapshot) -> ListPage:
    """A board list page of either API, newest first (`resultData.lastItem`, where sent, is not read). An item
    that does not read is set apart in `rejected` (items are independent messages), unless none reads: then
    the layout changed."""
    items, rejected = [], []
    for position, entry in enumerate(_list_entries(snapshot)):
        try:
            items.append(_item(entry))
        except LayoutChanged as error:
            raw = json.dumps(entry, ensure_ascii=False)
            rejected.append(RejectedItem(raw=raw, reason=error.reason, position=position, tid=_tid(entry)))
    if rejected and not items:
        raise LayoutChanged(rejected[0].reason)
    return ListPage(items=tuple(items), rejected=tuple(rejected))
