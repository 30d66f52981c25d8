"""The SPA's HTML shells (list, detail) and its bundle; every shell visit also warms up the WAF cookie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from replicas.people.boards import DF
from replicas.people.clientjs import APP_JS
from replicas.people.state import SiteState

LIST_SHELLS = ("/threads/list", "/pro-dfbbs-front/forum/list")
CONTENT_SHELL = "/threads/content"
SEARCH_SHELL = "/messageSearch"
SHELL = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<script>window.SITE_CONFIG={{appCode:'{app_code}'}}</script>
</head>
<body>
<noscript><strong>很抱歉，领导留言板需要启用JavaScript才能正常浏览。</strong></noscript>
<div id="app" data-page="{page}" data-kind="{kind}"></div>
<script src="{script}"></script>
</body>
</html>
"""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def render(state: SiteState, page: str, title: str, kind: str = DF) -> str:
    """A shell page: the inline appCode and the current bundle; the content comes from the JS."""
    return SHELL.format(title=escape(title), app_code=state.release.app_code, page=page, kind=kind,
                        script=state.release.script_path)


def _page(state: SiteState, request: web.Request, html: str) -> web.Response:
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    state.waf.warm_up(request, response)
    return response


def list_shell(state: SiteState) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        fid = request.query.get("fid", "")
        board = state.world.boards.get(int(fid)) if fid.isdigit() else None
        title = f"{board.name}-领导留言板-人民网" if board else "领导留言板-人民网"
        return _page(state, request, render(state, "list", title, board.kind if board else DF))

    return handle


def content_shell(state: SiteState) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        # The SPA answers 200 for any tid; a missing one is rendered client-side as "页面找不到了！".
        return _page(state, request, render(state, "content", "留言详情-领导留言板-人民网"))

    return handle


def search_shell(state: SiteState) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return _page(state, request, render(state, "search", "留言搜索-领导留言板-人民网"))

    return handle


def bundle(state: SiteState) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path != state.release.script_path:
            raise web.HTTPNotFound()  # the previous release's bundle is gone from the CDN
        return web.Response(text=APP_JS, content_type="application/javascript", charset="utf-8",
                            headers={"Cache-Control": "max-age=31536000"})

    return handle


def add_routes(app: web.Application, state: SiteState) -> None:
    for path in LIST_SHELLS:
        app.router.add_get(path, list_shell(state))
    app.router.add_get(CONTENT_SHELL, content_shell(state))
    app.router.add_get(SEARCH_SHELL, search_shell(state))
    app.router.add_get(r"/pcjs/{name:app\.[0-9a-f]+\.js}", bundle(state))
