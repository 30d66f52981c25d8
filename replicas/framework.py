"""Serve replica sites on 127.0.0.1: one asyncio process, one port per replica, plus a control API.

Every replica app gets, under `/__replica__/`:
  POST /__replica__/advance   {"steps": N}  -> moves the replica's world forward N steps (new messages,
                                               status moves, replies) deterministically from its seed
  GET  /__replica__/stats                    -> {"requests": {path: count}, "total": N, ...replica stats}
  POST /__replica__/stats/reset              -> zeroes the request counters
Those paths are not counted as site traffic.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

CONTROL_PREFIX = "/__replica__/"


class Replica(Protocol):
    """A fake platform: builds its aiohttp routes and can advance its world."""

    name: str

    def add_routes(self, app: web.Application) -> None:
        """Register the site's public (and back-office) routes."""

    def advance(self, steps: int) -> dict[str, Any]:
        """Move the world forward; return a summary of what changed."""

    def stats(self) -> dict[str, Any]:
        """Replica-specific figures (message counts etc.) for the control API."""


@dataclass
class RequestLog:
    """Counts site requests per path, for tests that bound how many requests a harvest makes."""

    by_path: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_path.values())


def build_app(replica: Replica) -> web.Application:
    """The aiohttp application for one replica, with request counting and the control API."""
    log = RequestLog()

    @web.middleware
    async def count_requests(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if not request.path.startswith(CONTROL_PREFIX):
            log.by_path[request.path] += 1
        return await handler(request)

    async def advance(request: web.Request) -> web.Response:
        payload = await request.json() if request.can_read_body else {}
        return web.json_response(replica.advance(int(payload.get("steps", 1))))

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"requests": dict(log.by_path), "total": log.total, **replica.stats()})

    async def reset_stats(_: web.Request) -> web.Response:
        log.by_path.clear()
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[count_requests])
    app.router.add_post(CONTROL_PREFIX + "advance", advance)
    app.router.add_get(CONTROL_PREFIX + "stats", stats)
    app.router.add_post(CONTROL_PREFIX + "stats/reset", reset_stats)
    replica.add_routes(app)
    return app


async def serve(replicas: list[Replica], host: str = "127.0.0.1", ports: list[int] | None = None) -> dict[str, str]:
    """Start every replica on its own port (`ports[i]`, or ephemeral when absent/0); return name -> base URL."""
    urls: dict[str, str] = {}
    for index, replica in enumerate(replicas):
        runner = web.AppRunner(build_app(replica), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, ports[index] if ports else 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        urls[replica.name] = f"http://{host}:{port}"
    return urls


def run_forever(replicas: list[Replica], host: str, ports: list[int] | None, ports_file: str | None) -> None:
    """Serve until killed; write the name -> URL map to `ports_file` (JSON) once listening."""

    async def main() -> None:
        urls = await serve(replicas, host, ports)
        text = json.dumps(urls, ensure_ascii=False, indent=2)
        if ports_file:
            with open(ports_file + ".tmp", "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(ports_file + ".tmp", ports_file)
        print(text, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
