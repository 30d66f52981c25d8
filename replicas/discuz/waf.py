"""The cloud WAF in front of the forum: anti-CC interstitials (HTTP 200) instead of forum pages, on demand.

Chinese forums on Discuz! sit behind 云锁, 安全狗 or a hosting provider's 云防护. When their CC protection
trips, every page the client asks for answers HTTP 200 with a small page of the WAF's own, never forum HTML:

cc     云锁-style "正在进行安全检测": a script sets a cookie and jumps to `?security_verify_data=…` (a browser
       that runs it would get through; a crawler that does not keeps getting the same page). Sets the
       `security_session_verify` cookie, as the real one does.
block  安全狗-style "网站防火墙 / 您的访问被拦截": plain text, no script, nothing to pass.

Switched by `POST /__replica__/discuz/waf {"mode": "cc"|"block"|"off", "requests": N, "path": "/thread-"}`:
the next N site requests whose path (with query) starts with `path` get the interstitial; without `requests`
until switched off. Control routes are never blocked.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from aiohttp import web

MODES = ("off", "cc", "block")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CC_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1.0"/><title>安全检测</title></head>
<body><div style="margin:120px auto;text-align:center;font-size:14px;color:#666">正在进行安全检测，请稍候……</div>
<script type="text/javascript">function stringToHex(str){{var val="";for(var i=0;i<str.length;i++){{val+=str.charCodeAt(i).toString(16);}}return val;}}
function YunSuoAutoJump(){{var screendate=screen.width+","+screen.height;var curlocation=window.location.href;
if(-1==curlocation.indexOf("security_verify_")){{document.cookie="srcurl="+stringToHex(window.location.href)+";path=/;";}}
window.location.href="{path}?security_verify_data="+stringToHex(screendate);}}
setTimeout(function(){{YunSuoAutoJump();}},50);</script></body></html>"""

BLOCK_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>网站防火墙</title><style>body{{background:#f5f5f5}}#wrap{{width:700px;margin:80px auto;background:#fff}}</style></head>
<body><div id="wrap"><div id="header"><h1>网站防火墙</h1></div>
<div id="main"><h2>您的访问被拦截</h2>
<p>您的请求过于频繁，已被网站管理员设置拦截！</p>
<p>可能原因：您在短时间内访问了大量页面，触发了CC攻击防护规则。</p>
<p>如何解决：1）稍后再访问本站；2）普通网站访客，请联系网站管理员。</p>
<p class="xg1">拦截时间：{when}　事件编号：{event}</p></div></div></body></html>"""


@dataclass
class Waf:
    """What the WAF is doing now and what it did: the mode, its scope and budget, and every path it answered."""

    mode: str = "off"
    path: str = "/"
    remaining: int | None = None  # None: until switched off
    blocked: list[str] = field(default_factory=list)  # path+query of every request answered with a WAF page
    _cookie_seed: str = field(default_factory=lambda: secrets.token_hex(8))

    def switch(self, mode: str, requests: int | None, path: str) -> None:
        if mode not in MODES:
            raise ValueError(f"waf mode must be one of {MODES}, not {mode!r}")
        if requests is not None and requests < 0:
            raise ValueError("requests must not be negative")
        self.mode, self.remaining, self.path = ("off" if requests == 0 else mode), requests, path or "/"

    def catches(self, path_qs: str) -> str | None:
        """The mode whose interstitial this request gets, or None; counts it against the budget (once spent,
        the WAF lifts)."""
        mode = self.mode
        if mode == "off" or not path_qs.startswith(self.path):
            return None
        self.blocked.append(path_qs)
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.mode = "off"
        return mode

    def page(self, mode: str, request: web.Request) -> web.Response:
        """HTTP 200, as these WAFs answer: the client's HTTP library sees success, only the body tells."""
        if mode == "cc":
            response = web.Response(text=CC_PAGE.format(path=escape(request.path)), content_type="text/html",
                                    charset="utf-8")
            token = hashlib.md5(f"{self._cookie_seed}{request.remote}".encode(), usedforsecurity=False).hexdigest()
            response.set_cookie("security_session_verify", token, path="/", httponly=True)
            return response
        text = BLOCK_PAGE.format(when=time.strftime("%Y-%m-%d %H:%M:%S"), event=secrets.token_hex(6))
        return web.Response(text=text, content_type="text/html", charset="utf-8")

    def state(self) -> dict[str, Any]:
        return {"mode": self.mode, "path": self.path, "remaining": self.remaining, "blocked": list(self.blocked)}


def middleware(waf: Waf, guarded: Callable[[str], bool]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Answer guarded requests with the WAF page while it is switched on; the rest pass through."""

    @web.middleware
    async def waf_filter(request: web.Request, handler: Handler) -> web.StreamResponse:
        mode = waf.catches(request.path_qs) if guarded(request.path) else None
        return waf.page(mode, request) if mode else await handler(request)

    return waf_filter
