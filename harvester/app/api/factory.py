"""The FastAPI application: routers, the store it reads, and errors as JSON."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from harvester.app.api.ratelimit import RateLimiter
from harvester.app.api.routes import changes, messages, open311, replies, runs, webhooks
from harvester.app.api.settings import ApiSettings
from harvester.app.api.webhooks import DeliveryLoop, OnDead
from harvester.app.console import mount_console
from harvester.store.db import Store
from harvester.store.webhooks import Subscription

log = logging.getLogger(__name__)

DESCRIPTION = """Read the unified store of netizen messages (网民留言), follow its change feed, read it as Open311
GeoReport v2, and hand in replies for approval and posting. Every call needs `Authorization: Bearer <token>`
(`harvester tokens create NAME --scope …`)."""


def create_app(store: Store, settings: ApiSettings | None = None, on_dead: OnDead | None = None) -> FastAPI:
    """The API over `store` (opened and migrated by the caller, who also closes it). While it runs, webhook
    deliveries go out on a thread; `on_dead` is told of a subscription given up on (an operator alert)."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = DeliveryLoop(store, settings.webhooks, on_dead or _log_dead)
        loop.start()
        try:
            yield
        finally:
            loop.stop()

    app = FastAPI(title="liuyan-harvester API", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.store = store
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_per_s, settings.burst)
    app.state.feed_watch = changes.FeedWatch(store, settings.poll_interval_s)
    for module in (messages, changes, runs, replies, open311, webhooks):
        app.include_router(module.router)
    app.add_exception_handler(HTTPException, _errors)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.middleware("http")(_refuse_nul)
    mount_console(app)  # the web console's pages (/login, /ledger …) next to the API
    return app


def _log_dead(subscription: Subscription, error: str) -> None:
    log.error("webhook %s is dead after repeated failures (last: %s); resume it with POST /webhooks/%d/resume",
              subscription.name, error, subscription.id)


async def _refuse_nul(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """400 for a NUL character in the path or query: PostgreSQL text cannot hold one, and no id or filter does."""
    if "\x00" in request.url.path or b"%00" in request.scope["query_string"].lower():
        return JSONResponse({"detail": "NUL characters are not allowed in the path or query"}, status_code=400)
    return await call_next(request)


def _open311(request: Request) -> bool:
    return request.url.path.startswith(open311.PREFIX + "/")


async def _errors(request: Request, error: HTTPException) -> Response:
    """Errors as FastAPI writes them, except under /open311/, where GeoReport v2 wants [{code, description}]
    and 403 for a missing or wrong key (we answer 401 elsewhere)."""
    if _open311(request):
        status = 403 if error.status_code == 401 else error.status_code
        return JSONResponse([{"code": status, "description": str(error.detail)}], status_code=status,
                            headers=error.headers)
    return await http_exception_handler(request, error)


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    """Invalid parameters: FastAPI's 422, except under /open311/, where GeoReport v2 answers 400."""
    if _open311(request):
        described = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in error.errors())
        return JSONResponse([{"code": 400, "description": described}], status_code=400)
    return await request_validation_exception_handler(request, error)
