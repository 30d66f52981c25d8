"""The WAF in front of the site: the `__jsluid_s` warm-up cookie and a per-client-IP token bucket."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

COOKIE = "__jsluid_s"
BLOCKED_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>访问被拦截</title></head>
<body><div class="block"><h1>访问被拦截</h1><p>您的访问可能对网站造成危害，已被云防护拦截。</p>
<p>拦截时间：{when}　请求ID：{ray}</p></div></body></html>"""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def blocked(status: int = 403) -> web.Response:
    """The small HTML page the WAF shows instead of the site."""
    page = BLOCKED_PAGE.format(when=time.strftime("%Y-%m-%d %H:%M:%S"), ray=secrets.token_hex(8))
    return web.Response(status=status, text=page, content_type="text/html", charset="utf-8")


@dataclass
class Bucket:
    tokens: float
    stamp: float


@dataclass
class Waf:
    """Issues and checks the warm-up cookie and throttles each client IP at `rate_per_s` (0 = off)."""

    rate_per_s: float
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    buckets: dict[str, Bucket] = field(default_factory=dict)
    throttled: int = 0
    no_cookie: int = 0
    storm: int = 0  # the next `storm` guarded requests are throttled whatever the bucket holds
    storm_path: str = ""  # ...of those whose path starts with this ("" = any)

    def cookie_value(self) -> str:
        """A fresh cookie: 16 random hex digits plus 16 of their MAC, so forged values are refused."""
        nonce = secrets.token_hex(8)
        return nonce + self._mac(nonce)

    def cookie_ok(self, value: str) -> bool:
        return len(value) == 32 and hmac.compare_digest(self._mac(value[:16]), value[16:])

    def warm_up(self, request: web.Request, response: web.StreamResponse) -> None:
        """Set the cookie on a page response unless the visitor already holds a valid one."""
        if not self.cookie_ok(request.cookies.get(COOKIE, "")):
            response.set_cookie(COOKIE, self.cookie_value(), max_age=31536000, path="/", httponly=True)

    def allow(self, client: str, path: str = "") -> bool:
        """Take one token from the client's bucket (capacity = one second's worth, at least 1)."""
        if self.storm > 0 and path.startswith(self.storm_path):
            self.storm -= 1
            return False
        if self.rate_per_s <= 0:
            return True
        now, capacity = time.monotonic(), max(1.0, self.rate_per_s)
        bucket = self.buckets.setdefault(client, Bucket(capacity, now))
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * self.rate_per_s)
        bucket.stamp = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def throttle_response(self) -> web.Response:
        """Real throttling is not uniform: rotate through 429, a 403 block page, and an empty 200."""
        self.throttled += 1
        kind = self.throttled % 3
        if kind == 1:
            return web.Response(status=429, text="Too Many Requests")
        if kind == 2:
            return blocked(403)
        return web.Response(status=200, body=b"", content_type="text/html")

    def _mac(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()[:16]


def middleware(waf: Waf, guarded: Callable[[str], bool], needs_cookie: Callable[[str], bool]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """aiohttp middleware: throttle `guarded` paths per IP, and refuse `needs_cookie` paths without the cookie."""

    @web.middleware
    async def waf_filter(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not guarded(request.path):
            return await handler(request)
        if not waf.allow(request.remote or "?", request.path):
            return waf.throttle_response()
        if needs_cookie(request.path) and not waf.cookie_ok(request.cookies.get(COOKIE, "")):
            waf.no_cookie += 1
            return blocked(403)
        return await handler(request)

    return waf_filter
