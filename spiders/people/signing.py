"""The front end's request signing (the "four-piece set") and the business params of each signed call.

Pure: no fetching. `signature = md5(path_without_query + param + md5(appCode)[:16] + token)` over the exact
`param` string that is sent, so params are serialised once, the way JSON.stringify does, and that very
string is both signed and posted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

LIST_PATHS = {"df": "/v1/threads/list/df", "bw": "/v1/threads/list/bw"}  # local leaders / ministries
CONTENT_PATH = "/v1/threads/content"
ANONYMOUS_TOKEN = ""  # readers are not logged in; the bundle sends an empty token


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def compact(params: dict[str, Any]) -> str:
    """JSON.stringify's output: key order kept, no spaces, Chinese raw (signed as UTF-8 bytes)."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))


def sign(path: str, param: str, app_code: str, token: str = ANONYMOUS_TOKEN) -> str:
    """The request signature; the key is the first 16 hex digits of md5(appCode)."""
    return md5_hex(path.split("?", 1)[0] + param + md5_hex(app_code)[:16] + token)


@dataclass(frozen=True, slots=True)
class SignedCall:
    """One API call before signing: the path and the exact param string."""

    path: str
    param: str

    def body(self, app_code: str, token: str = ANONYMOUS_TOKEN) -> bytes:
        """The POST body signed with `app_code` (keys in the bundle's order)."""
        envelope = {"appCode": app_code, "token": token, "signature": sign(self.path, self.param, app_code, token),
                    "param": self.param}
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def list_call(fid: str, last_item: str, kind: str = "df", rows: int = 10) -> SignedCall:
    """A board's list page, newest first: `last_item` "" for the first page, then the previous page's last tid.

    Key order and values are the bundle's own (showUnAnswer 1 and typeId 5 = every state and type).
    """
    params = {"fid": fid, "showUnAnswer": 1, "typeId": 5, "lastItem": last_item,
              "position": 1 if kind == "bw" else 0, "rows": rows, "orderType": 2}
    return SignedCall(LIST_PATHS[kind], compact(params))


def content_call(tid: str) -> SignedCall:
    """One message with its official replies."""
    return SignedCall(CONTENT_PATH, compact({"tid": tid, "fromTrash": 0}))
