"""The FastAPI application: routers, the store it reads, and errors as JSON."""

from __future__ import annotations

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
    return app


async def _errors(request: Request, error: HTTPException) -> Response:
    """Errors as FastAPI writes them, except under /open311/, where GeoReport v2 wants [{code, description}]."""
    if request.url.path.startswith(open311.PREFIX + "/"):
        return JSONResponse([{"code": error.status_code, "description": str(error.detail)}],
                            status_code=error.status_code, headers=error.headers)
    return await http_exception_handler(request, error)
