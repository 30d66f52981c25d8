"""The Discuz replica as the framework serves it: `create()`, URL routing (dynamic and rewritten), advance."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from replicas.discuz import actions, control, views, waf
from replicas.discuz.dates import iso
from replicas.discuz.respond import int_arg
from replicas.discuz.settings import Settings
from replicas.discuz.state import Forum
from replicas.discuz.steps import advance
from replicas.framework import CONTROL_PREFIX, Replica


class DiscuzReplica:
    """A 绵州论坛-like Discuz! X3 site in one charset (utf-8 or gbk)."""

    def __init__(self, name: str, seed: int, settings: Settings) -> None:
        self.name = name
        self.forum = Forum.build(name, seed, settings)

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(waf.middleware(self.forum.waf, lambda path: not path.startswith(CONTROL_PREFIX)))
        app.router.add_get("/", self._index)
        app.router.add_route("*", "/forum.php", self._forum_php)
        app.router.add_route("*", "/member.php", self._member_php)
        app.router.add_get(r"/forum-{fid:\d+}-{page:\d+}.html", self._board_rewrite)
        app.router.add_get(r"/thread-{tid:\d+}-{page:\d+}-{prev:\d+}.html", self._thread_rewrite)
        app.router.add_get("/archiver/", self._archiver)
        app.router.add_get(r"/archiver/{target:(tid|fid)-\d+\.html}", self._archiver)
        control.add_routes(app, self.forum)

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return views.index(self.forum, request)

    async def _board_rewrite(self, request: web.Request) -> web.StreamResponse:
        """forum-{fid}-{page}.html, the rewrite of forum.php?mod=forumdisplay&fid=&page=."""
        info = request.match_info
        return views.forumdisplay_page(self.forum, request, int(info["fid"]), int(info["page"]))

    async def _thread_rewrite(self, request: web.Request) -> web.StreamResponse:
        """thread-{tid}-{page}-{prevpage}.html; the board page it came from does not matter."""
        info = request.match_info
        return views.viewthread_page(self.forum, request, int(info["tid"]), int(info["page"]))

    async def _archiver(self, request: web.Request) -> web.StreamResponse:
        """archiver/?tid-T.html&page=N (target in the query's first key) or archiver/tid-T.html."""
        target = request.match_info.get("target") or request.query_string.split("&", 1)[0]
        return views.archiver_page(self.forum, request, target)

    async def _forum_php(self, request: web.Request) -> web.StreamResponse:
        """forum.php dispatches on `mod`, like the real script; no mod is the forum index."""
        forum, mod = self.forum, request.query.get("mod", "")
        if mod == "forumdisplay":
            return views.forumdisplay_page(forum, request, int_arg(request, "fid"), int_arg(request, "page", 1))
        if mod == "viewthread":
            return views.viewthread_page(forum, request, int_arg(request, "tid"), int_arg(request, "page", 1))
        if mod == "redirect":
            return views.redirect(forum, request)
        if mod == "post" and request.method == "POST" and request.query.get("action") == "reply":
            return await actions.reply(forum, request)
        return views.index(forum, request)

    async def _member_php(self, request: web.Request) -> web.StreamResponse:
        action = request.query.get("action", "")
        if request.query.get("mod") == "logging" and action == "login" and request.method == "POST":
            return await actions.login(self.forum, request)
        if request.query.get("mod") == "logging" and action == "logout":
            return actions.logout(self.forum, request)
        raise web.HTTPFound("forum.php")

    def advance(self, steps: int) -> dict[str, Any]:
        return advance(self.forum.world, steps)

    def stats(self) -> dict[str, Any]:
        world = self.forum.world
        return {"threads": len(world.threads), "posts": len(world.posts),
                "queued": sorted(post.pid for post in world.queued()), "sessions": len(self.forum.sessions),
                "cookiepre": self.forum.sessions.cookiepre, "charset": self.forum.settings.charset,
                "waf_blocked": len(self.forum.waf.blocked),
                "clock": iso(world.clock), "now": iso(self.forum.now())}


def create(name: str, seed: int, charset: str = "utf-8", **options: Any) -> Replica:
    """The catalogue's entry point; options arrive as strings (see settings.Settings)."""
    return DiscuzReplica(name, seed, Settings.parse(charset, options))
