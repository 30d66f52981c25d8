"""The replica's own control routes under /__replica__/discuz/: accounts, ground truth, moderation, sessions,
the WAF switch, and faults of the gateway in front of the reply endpoint."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from replicas.discuz.dates import iso
from replicas.discuz.faults import ReplyGateway
from replicas.discuz.model import Post, Thread
from replicas.discuz.state import Forum

PREFIX = "/__replica__/discuz/"


def post_truth(post: Post) -> dict[str, Any]:
    return {"pid": post.pid, "floor": post.position, "first": post.first, "author": post.author.username,
            "author_uid": post.author.uid, "dateline": iso(post.dateline), "message": post.message,
            "official": post.author.official, "locked": post.locked, "moderated": post.moderated}


def thread_truth(forum: Forum, thread: Thread) -> dict[str, Any]:
    """What the database knows about a thread; `posts` includes hidden and queued ones, flagged."""
    board = forum.world.boards[thread.fid]
    return {"tid": thread.tid, "fid": thread.fid, "subject": thread.subject, "typeid": thread.typeid,
            "type": board.types.get(thread.typeid) if thread.typeid else None, "author": thread.author.username,
            "author_uid": thread.author.uid, "posted_at": iso(thread.dateline), "pinned": thread.pinned,
            "closed": thread.closed, "readperm": thread.readperm, "price": thread.price, "moved_to": thread.moved_to,
            "views": thread.views,
            "last_mod": None if thread.last_mod is None else {
                "moderator": thread.last_mod.moderator, "action": thread.last_mod.action, "at": iso(thread.last_mod.at)},
            "replies": thread.replies, "last_post_at": iso(thread.last_post.dateline),
            "posts": [post_truth(post) for post in thread.posts]}


def add_routes(app: web.Application, forum: Forum) -> None:
    async def accounts(_: web.Request) -> web.Response:
        return web.json_response([
            {"uid": u.uid, "username": u.username, "password": u.password, "group": u.group,
             "official": u.official, "readaccess": u.readaccess} for u in forum.world.users])

    async def threads(request: web.Request) -> web.Response:
        """?fid= limits to one board, ?tid= to one thread; threads come in tid order."""
        fid, tid = request.query.get("fid"), request.query.get("tid")
        chosen = [t for t in forum.world.threads.values()
                  if (not fid or t.fid == int(fid)) and (not tid or t.tid == int(tid))]
        return web.json_response([thread_truth(forum, t) for t in sorted(chosen, key=lambda t: t.tid)])

    async def approve(request: web.Request) -> web.Response:
        """Body {"pids": [...]} releases those queued replies; no pids releases all of them."""
        payload = await request.json() if request.can_read_body else {}
        pids = payload.get("pids")
        return web.json_response({"approved": forum.world.approve([int(p) for p in pids] if pids else None)})

    async def moderate(request: web.Request) -> web.Response:
        """Body {"tid": T, "closed": true|false}: a moderator closes or reopens the thread (no post, no bump)."""
        payload = await request.json()
        thread = forum.world.threads.get(int(payload["tid"]))
        if thread is None:
            return web.json_response({"error": f"no thread {payload['tid']}"}, status=404)
        thread.moderate(bool(payload["closed"]), forum.world.clock)
        return web.json_response(thread_truth(forum, thread))

    async def move(request: web.Request) -> web.Response:
        """Body {"tid": T, "fid": F}: a moderator moves the thread to board F (served here), leaving a redirect
        stub in its old board; answers the stub's truth."""
        payload = await request.json()
        thread, fid = forum.world.threads.get(int(payload["tid"])), int(payload["fid"])
        if thread is None or thread.moved_to or fid not in forum.world.boards or fid == thread.fid:
            return web.json_response({"error": f"cannot move {payload['tid']} to {fid}"}, status=400)
        return web.json_response(thread_truth(forum, forum.world.move(thread, fid)))

    async def expire(_: web.Request) -> web.Response:
        return web.json_response({"expired": forum.sessions.expire_all()})

    async def waf(request: web.Request) -> web.Response:
        """POST {"mode": "cc"|"block"|"off", "requests": N, "path": prefix} switches the WAF (see waf.py);
        GET (or POST without a mode) reports it, with the path of every request it answered."""
        payload = await request.json() if request.method == "POST" and request.can_read_body else {}
        if "mode" in payload:
            requests = payload.get("requests")
            try:
                forum.waf.switch(str(payload["mode"]), None if requests is None else int(requests),
                                 str(payload.get("path", "/")))
            except (TypeError, ValueError) as error:
                return web.json_response({"error": str(error)}, status=400)
        return web.json_response(forum.waf.state())

    gateway = ReplyGateway()
    app.middlewares.append(gateway.middleware())

    async def faults(request: web.Request) -> web.Response:
        """POST {"reply": "429"|"hold", "count": N, "retry_after": S, "hold_s": S} or {"disarm": true} (see
        faults.py); GET reports what is armed."""
        if request.method != "POST":
            return web.json_response(gateway.state())
        try:
            return web.json_response(gateway.arm(await request.json()))
        except (TypeError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)

    app.router.add_route("*", PREFIX + "faults", faults)
    app.router.add_get(PREFIX + "accounts", accounts)
    app.router.add_get(PREFIX + "threads", threads)
    app.router.add_post(PREFIX + "approve", approve)
    app.router.add_post(PREFIX + "moderate", moderate)
    app.router.add_post(PREFIX + "move", move)
    app.router.add_post(PREFIX + "expire-sessions", expire)
    app.router.add_route("*", PREFIX + "waf", waf)
