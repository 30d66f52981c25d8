"""One-handler HTTP servers on a free 127.0.0.1 port: the proxies tests put in front of a replica (aiohttp), and
hand-made sites serving hostile pages (http.server in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve_locally(handler: Handler) -> tuple[web.AppRunner, str]:
    """Serve `handler` for every method and path; returns the runner (clean it up) and the base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


class PageHandler(BaseHTTPRequestHandler):
    """A quiet http.server handler for a hand-made site: subclasses write do_GET / do_POST with `answer`."""

    def answer(self, body: bytes, content_type: str = "text/html; charset=UTF-8") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the http.server name; quiet
        return


@contextmanager
def served(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` in a thread on a free 127.0.0.1 port; yields the base URL, shuts down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
