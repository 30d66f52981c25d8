"""The gateway in front of the fast-reply endpoint failing on demand: a rate limit (429) or a slow answer.

Armed by `POST /__replica__/discuz/faults {"reply": kind, "count": N, "retry_after": S, "hold_s": S}` for the
next N reply POSTs (`{"disarm": true}` drops what is armed and lets held answers go at once):

429   nginx `limit_req` (limit_req_status 429) turns the POST away with `Retry-After: S`; Discuz never sees it.
hold  Discuz handles the POST (stores or queues the reply), then the answer is held back `hold_s` seconds
      (or until disarmed) and the gateway gives up with a 504, as when it times out on a slow backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

KINDS = ("429", "hold")
RETRY_AFTER_S = 30
HOLD_S = 60.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOO_MANY = ("<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
            "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
GATEWAY_TIMEOUT = ("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
                   "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
                   "</html>\r\n")


@dataclass(frozen=True)
class Fault:
    kind: str
    retry_after_s: int = RETRY_AFTER_S
    hold_s: float = HOLD_S


def is_reply_post(request: web.Request) -> bool:
    """forum.php?mod=post&action=reply… sent as a POST: a fast reply."""
    query = request.query
    return (request.method == "POST" and request.path == "/forum.php" and query.get("mod") == "post"
            and query.get("action") == "reply")


class ReplyGateway:
    """What is armed for the next reply POSTs, and the answers it holds back."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self._released = asyncio.Event()

    def state(self) -> dict[str, Any]:
        return {"reply": [fault.kind for fault in self.pending]}

    def arm(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("disarm"):
            self.disarm()
        kind = str(payload.get("reply", ""))
        if kind and kind not in KINDS:
            raise ValueError(f"unknown reply fault {kind!r}; known: {KINDS}")
        if kind:
            fault = Fault(kind, int(payload.get("retry_after", RETRY_AFTER_S)), float(payload.get("hold_s", HOLD_S)))
            self.pending = [fault] * int(payload.get("count", 1))
        return self.state()

    def disarm(self) -> None:
        self.pending = []
        self._released.set()  # every answer held now goes out
        self._released = asyncio.Event()

    async def hold(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._released.wait(), seconds)
        except TimeoutError:
            pass

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def reply_gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
            fault = self.pending.pop(0) if self.pending and is_reply_post(request) else None
            if fault is None:
                return await handler(request)
            if fault.kind == "429":
                return web.Response(status=429, text=TOO_MANY, content_type="text/html",
                                    headers={"Retry-After": str(fault.retry_after_s)})
            await handler(request)  # Discuz stores the reply; its answer never reaches the client
            await self.hold(fault.hold_s)
            return web.Response(status=504, text=GATEWAY_TIMEOUT, content_type="text/html")

        return reply_gateway
