"""The office's web console (台账, 督办, 审核, 运行, 统计), served next to the HTTP API by `harvester serve`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from harvester.app.console.pages import render
from harvester.app.console.routes import audit, board, health, ledger, login, report, review
from harvester.app.console.security import LoginRequired, Refused
from harvester.app.console.settings import ConsoleSettings, load_console_settings

STATIC = Path(__file__).with_name("static")
PAGES = (login, review, ledger, board, health, report, audit)


def mount_console(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    """Add the console's pages, its static files (/console-static) and its error pages to `app`."""
    if settings is None:
        from harvester.config import load_config

        settings = load_console_settings(load_config())
    app.state.console = settings
    app.mount("/console-static", StaticFiles(directory=str(STATIC)), name="console-static")
    for module in PAGES:
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, _to_login)  # type: ignore[arg-type]
    app.add_exception_handler(Refused, _refused)  # type: ignore[arg-type]


async def _to_login(_request: Request, error: LoginRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(error.next_path, safe='/')}", status_code=303)


async def _refused(request: Request, error: Refused) -> Response:
    return render(request, "error.html", error.status, message=error.message)
