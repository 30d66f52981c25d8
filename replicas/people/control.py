"""The replica's own control endpoints under /__replica__/people/: ground truth, accounts, releases."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from replicas.framework import CONTROL_PREFIX
from replicas.people.accounts import Sessions
from replicas.people.api import json_response
from replicas.people.messages import Message
from replicas.people.state import SiteState

PREFIX = CONTROL_PREFIX + "people/"


def truth(message: Message) -> dict[str, Any]:
    """Everything the site knows about a message: the full item, all replies, list-only quirks, and whether it
    is published yet (`threadsCheckTime` is when it was, or will be)."""
    return {**message.item(truncate=False),
            "replies": [{"answerId": r.answer_id, "organization": r.organization, "content": r.content,
                         "dateline": r.dateline} for r in message.replies],
            "inlineAnswer": message.inline_answer, "repliesFirst": message.replies_first,
            "published": message.published}


def add_routes(app: web.Application, state: SiteState, sessions: Sessions) -> None:
    async def messages(request: web.Request) -> web.Response:
        """GET ?fid= : that board's messages newest first (all boards without fid), held ones included."""
        fid = request.query.get("fid", "")
        source = state.world.by_fid.get(int(fid), []) if fid.isdigit() else state.world.messages
        return json_response([truth(message) for message in reversed(source)])

    async def publish(request: web.Request) -> web.Response:
        """POST {"tids": [...]} (or {} for every one): approve held messages now, ahead of their time."""
        body = await request.json() if request.can_read_body else {}
        tids = body.get("tids")
        if tids is not None and not (isinstance(tids, list) and all(isinstance(t, int) for t in tids)):
            return json_response({"error": "tids must be a list of integers"}, status=400)
        published = state.world.publish_now(tids)
        return json_response({"published": published, "held": sorted(state.world.held)})

    async def accounts(_: web.Request) -> web.Response:
        return json_response([account.public() for account in sessions.accounts.values()])

    async def rotate(_: web.Request) -> web.Response:
        release = state.rotate()
        return json_response({"appCode": release.app_code, "script": release.script_path,
                              "release": release.number})

    async def waf(request: web.Request) -> web.Response:
        """POST {"rate_per_s": R, "storm": N, "storm_path": P}: retune the WAF's per-client rate, and/or throttle
        the next N site requests (whose path starts with P, if given) whatever the rate (as while the site is under
        attack). Any key may be left out."""
        body = await request.json()
        rate, storm = body.get("rate_per_s", state.waf.rate_per_s), body.get("storm", state.waf.storm)
        path = body.get("storm_path", "")
        if not isinstance(rate, int | float) or rate < 0 or not isinstance(storm, int) or storm < 0:
            return json_response({"error": "rate_per_s and storm must be non-negative numbers"}, status=400)
        if not isinstance(path, str):
            return json_response({"error": "storm_path must be a path prefix"}, status=400)
        state.waf.rate_per_s, state.waf.storm, state.waf.storm_path = float(rate), storm, path
        state.waf.buckets.clear()
        return json_response({"rate_per_s": state.waf.rate_per_s, "storm": storm, "throttled": state.waf.throttled})

    async def variant(request: web.Request) -> web.Response:
        """POST {key: value, ...}: reshape the answers from now on (replicas/people/variants.py); {} reads it."""
        body = await request.json() if request.can_read_body else {}
        try:
            state.variant.update(body if isinstance(body, dict) else {"?": body})
        except ValueError as error:
            return json_response({"error": str(error)}, status=400)
        return json_response(state.variant.public())

    async def refuse(request: web.Request) -> web.Response:
        """POST {"tids": [...]}: content calls for these tids get the WAF's block page until POSTed again without
        them ({"tids": []} lifts the outage)."""
        body = await request.json() if request.can_read_body else {}
        tids = body.get("tids") if isinstance(body, dict) else None
        if not (isinstance(tids, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in tids)):
            return json_response({"error": "tids must be a list of integers"}, status=400)
        state.refused = set(tids)
        return json_response({"refused": sorted(state.refused)})

    app.router.add_get(PREFIX + "messages", messages)
    app.router.add_post(PREFIX + "variant", variant)
    app.router.add_post(PREFIX + "refuse", refuse)
    app.router.add_get(PREFIX + "accounts", accounts)
    app.router.add_post(PREFIX + "rotate-appcode", rotate)
    app.router.add_post(PREFIX + "publish", publish)
    app.router.add_post(PREFIX + "waf", waf)
