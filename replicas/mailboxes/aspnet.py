"""ASP.NET WebForms postback state as a replica needs it: a MAC-signed `__VIEWSTATE` naming the page it was
rendered for, `__EVENTVALIDATION` listing the postbacks that page offered, and the server's refusals.

Like ASP.NET (machineKey validation, event validation on), a postback is accepted only when the viewstate's
MAC holds under this site's key (from the seed) and the page's `__VIEWSTATEGENERATOR`, the event validation
belongs to that viewstate, and the posted event is one the rendered page offered. So page n+1 can only be
reached with the state read from a page that links to it; a forged or foreign state gets the yellow error
page with HTTP 500 (the wording of a zh-CN .NET 4 runtime; inferred, PLATFORMS.md §2.2 only names the fields).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import Mapping
from html import escape

# Leading bytes of a real LosFormatter viewstate (`/wEPDwUK…`) and of an event validation (`/wEdAA…`).
_VIEWSTATE_HEAD = b"\xff\x01\x0f\x0f\x05"
_VALIDATION_HEAD = b"\xff\x01\x64"
_MAC = 20  # HMACSHA1, the default validation algorithm

MAC_FAILED = ("验证视图状态 MAC 失败。如果此应用程序由网络场或群集承载，请确保 <machineKey> 配置指定了相同的 "
              "validationKey 和验证算法。不能在群集中使用 AutoGenerate。",
              "Validation of viewstate MAC failed.")
STATE_INVALID = ("状态信息无效，无法用于此页，而且可能已损坏。",
                 "The state information is invalid for this page and might be corrupted.")
ARGUMENT_INVALID = ("回发或回调参数无效。在配置中使用 <pages enableEventValidation=\"true\"/> 或在页面中使用 "
                    "<%@ Page EnableEventValidation=\"true\" %> 启用了事件验证。",
                    "Invalid postback or callback argument.")


class PostbackRefused(Exception):
    """The server rejected a postback; `page()` is the error page ASP.NET shows (served with HTTP 500)."""

    def __init__(self, reason: tuple[str, str]) -> None:
        super().__init__(reason[1])
        self.chinese, self.english = reason

    def page(self) -> str:
        exception = "System.Web.HttpException" if self.chinese == MAC_FAILED[0] else "System.ArgumentException"
        return ("<!DOCTYPE html>\n<html>\n<head>\n<title>" + escape(self.chinese) + "</title>\n</head>\n"
                '<body bgcolor="white">\n<span><h1>“/”应用程序中的服务器错误。<hr width="100%" size="1" '
                'color="silver"></h1>\n<h2><i>' + escape(self.chinese) + "</i></h2></span>\n"
                "<b>说明:</b> 执行当前 Web 请求期间，出现未经处理的异常。请检查堆栈跟踪信息，以了解有关该错误以及"
                "代码中导致错误的出处的详细信息。<br><br>\n<b>异常详细信息:</b> " + exception + ": "
                + escape(self.chinese) + "<br><br>\n<hr width=\"100%\" size=\"1\" color=\"silver\">\n"
                "<b>版本信息:</b> Microsoft .NET Framework 版本:4.0.30319; ASP.NET 版本:4.7.3930.0\n"
                "<!--\n[" + exception.rsplit(".", 1)[1] + "]: " + escape(self.english) + "\n-->\n</body>\n</html>\n")


def _decode(value: str, head: bytes) -> tuple[bytes, bytes]:
    """(payload, mac) of a base64 field, or STATE_INVALID when it is not one of ours at all."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PostbackRefused(STATE_INVALID) from error
    if not raw.startswith(head) or len(raw) <= len(head) + _MAC:
        raise PostbackRefused(STATE_INVALID)
    return raw[:-_MAC], raw[-_MAC:]


class WebFormsState:
    """Issues and checks the hidden state of one .aspx page for one site (key material: name and seed)."""

    def __init__(self, key_material: str, page_path: str) -> None:
        self._key = hashlib.sha256(f"machineKey/{key_material}".encode()).digest()
        # ASP.NET derives the generator from the page's compiled type; a hash of the path stands in for it.
        self.generator = f"{zlib.crc32(page_path.encode()):08X}"

    def _mac(self, *parts: bytes) -> bytes:
        return hmac.new(self._key, b"|".join(parts), hashlib.sha1).digest()

    def issue(self, page: int, offered: list[str]) -> tuple[str, str]:
        """(`__VIEWSTATE`, `__EVENTVALIDATION`) for page `page` whose pager offers the arguments `offered`."""
        state = str(page).encode()
        viewstate = _VIEWSTATE_HEAD + bytes([len(state)]) + state
        viewstate_mac = self._mac(self.generator.encode(), viewstate)
        validation = _VALIDATION_HEAD + ",".join(offered).encode()
        validation_mac = self._mac(b"EV", validation, viewstate_mac)
        return (base64.b64encode(viewstate + viewstate_mac).decode(),
                base64.b64encode(validation + validation_mac).decode())

    def accept(self, form: Mapping[str, str], pager: str) -> int:
        """The page a postback asks for; PostbackRefused when its state is not one this page issued.

        An event from another control than `pager` re-renders the viewstate's own page."""
        generator = form.get("__VIEWSTATEGENERATOR") or self.generator
        viewstate, viewstate_mac = _decode(form.get("__VIEWSTATE", ""), _VIEWSTATE_HEAD)
        if generator != self.generator or not hmac.compare_digest(viewstate_mac,
                                                                   self._mac(generator.encode(), viewstate)):
            raise PostbackRefused(MAC_FAILED)
        state = viewstate[len(_VIEWSTATE_HEAD) + 1:]
        if form.get("__EVENTTARGET", "") != pager:
            return int(state)
        if not form.get("__EVENTVALIDATION"):
            raise PostbackRefused(ARGUMENT_INVALID)
        validation, validation_mac = _decode(form["__EVENTVALIDATION"], _VALIDATION_HEAD)
        if not hmac.compare_digest(validation_mac, self._mac(b"EV", validation, viewstate_mac)):
            raise PostbackRefused(STATE_INVALID)
        offered = validation[len(_VALIDATION_HEAD):].decode().split(",")
        if form.get("__EVENTARGUMENT", "") not in offered:
            raise PostbackRefused(ARGUMENT_INVALID)
        return int(form["__EVENTARGUMENT"])
