"""The FastAPI application: routers, the store it reads, and errors as JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response

from harvester.app.api.routes import changes, messages, open311, replies, runs
from harvester.app.api.settings import ApiSettings
from harvester.store.db import Store

DESCRIPTION = """Read the unified store of netizen messages (网民留言), follow its change feed, read it as Open311
GeoReport v2, and hand in replies for approval and posting. Every call needs `Authorization: Bearer <token>`
(`harvester tokens create NAME --scope …`)."""


def create_app(store: Store, settings: ApiSettings | None = None) -> FastAPI:
    """The API over `store` (opened and migrated by the caller, who also closes it)."""
    app = FastAPI(title="liuyan-harvester API", version="1", description=DESCRIPTION)
    app.state.store = store
    app.state.settings = settings or ApiSettings()
    for module in (messages, changes, runs, replies, open311):
        app.include_router(module.router)
    app.add_exception_handler(HTTPException, _errors)  # type: ignore[arg-type]
    app.middleware("http")(_refuse_nul)
    return app


async def _refuse_nul(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """400 for a NUL character in the path or query: PostgreSQL text cannot hold one, and no id or filter does."""
    if "\x00" in request.url.path or b"%00" in request.scope["query_string"].lower():
        return JSONResponse({"detail": "NUL characters are not allowed in the path or query"}, status_code=400)
    return await call_next(request)


async def _errors(request: Request, error: HTTPException) -> Response:
    """Errors as FastAPI writes them, except under /open311/, where GeoReport v2 wants [{code, description}]."""
    if request.url.path.startswith(open311.PREFIX + "/"):
        return JSONResponse([{"code": error.status_code, "description": str(error.detail)}],
                            status_code=error.status_code, headers=error.headers)
    return await http_exception_handler(request, error)
