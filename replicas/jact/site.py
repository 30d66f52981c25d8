"""The jact replica's routes: public list/detail pages and its own control endpoints."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields
from typing import Any

from aiohttp import web

from replicas.framework import CONTROL_PREFIX
from replicas.jact import dataproxy, modes, pages
from replicas.jact.backoffice import BackOffice
from replicas.jact.detail import DETAILS, REPLIES
from replicas.jact.jsl import VISITOR, JslGate
from replicas.jact.world import World

LIST_PATH = "/jact/front/mailpublist.do"
DETAIL_PATH = "/jact/front/mailpubdetail.do"


# The variants a test can pick (README.md says which site each comes from); the defaults are what real sites show.
CHOICES: dict[str, tuple[str, ...]] = {"list": ("dataproxy", "pageindex"), "list_cells": ("6", "5"),
                                       "detail": DETAILS, "reply": REPLIES}


@dataclass(frozen=True)
class Options:
    """Replica options; the CLI hands them over as strings (`--set jact.letters=10000`, `--set jact.list=pageindex`).

    list        "dataproxy": rows come from a POSTed data proxy (mailpublist.do only hosts the script);
                "pageindex": mailpublist.do?pageIndex=N serves the rows and a pager (the old variant)
    list_cells  6 (with 办理单位) or 5 cells a row
    detail      "fourcol": label/value/label/value rows, values in <span>; "labels": tr.trbg02 label rows
    reply       "padded": the reply in its own table in a padded <div>; "box": in a second div.jact_box_font;
                "inline": in the letter's table
    """

    letters: int = 120
    per_page: int = 15  # rows of a pageIndex page
    new_per_step: int = 6
    latency_ms: int = 0
    jsl_ttl_s: int = 3600  # how long a `jsl` mode clearance holds (replicas/jact/jsl.py)
    list: str = "dataproxy"
    list_cells: int = 6
    detail: str = "fourcol"
    reply: str = "padded"

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Options:
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise TypeError(f"jact replica: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
        for key, allowed in CHOICES.items():
            if key in raw and str(raw[key]) not in allowed:
                raise ValueError(f"jact replica: {key} must be one of {list(allowed)}, got {raw[key]!r}")
        values = {key: str(value) if key in ("list", "detail", "reply") else int(value) for key, value in raw.items()}
        numbers = [v for v in values.values() if isinstance(v, int)]
        if values.get("per_page", 1) == 0 or any(v < 0 for v in numbers):
            raise ValueError(f"jact replica: options must be non-negative, per_page positive: {values}")
        return cls(**values)  # type: ignore[arg-type]


def _int_param(request: web.Request, key: str) -> int | None:
    value = request.query.get(key, "")
    return int(value) if value.strip().isdigit() else None


class JactReplica:
    """A Hanweb jact 市长信箱 serving one column (`sysid`) in one charset."""

    def __init__(self, name: str, seed: int, charset: str, sysid: str, options: Options) -> None:
        self.name = name
        self.charset = charset
        self.sysid = sysid
        self.options = options
        self.world = World(seed, options.letters, options.new_per_step)
        self.backoffice = BackOffice(self.world, seed)
        self.mode = "normal"  # see replicas/jact/modes.py
        self.jsl = JslGate(seed, options.jsl_ttl_s)
        self.served = 0
        self.failed_once: set[str] = set()
        self.in_flight = self.most_in_flight = 0  # detail pages being answered at once (what a site's log shows)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(LIST_PATH, self.list_page)
        for path in dataproxy.PATHS:
            app.router.add_post(path, self.list_proxy)
            app.router.add_get(path, self.list_proxy)  # a Java action answers GET too (inferred); sysid in the query
        app.router.add_get(DETAIL_PATH, self.detail_page)
        app.router.add_post(CONTROL_PREFIX + "jact/break", self.break_letter)
        app.router.add_post(CONTROL_PREFIX + "jact/hide", self.hide_letter)
        app.router.add_get(CONTROL_PREFIX + "jact/letters", self.all_letters)
        app.router.add_post(CONTROL_PREFIX + "jact/mode", self.set_mode)
        self.backoffice.add_routes(app)

    def advance(self, steps: int) -> dict[str, Any]:
        return self.world.advance(steps)

    def stats(self) -> dict[str, Any]:
        return {**self.world.stats(), "jsl": self.jsl.stats(), "most_in_flight": self.most_in_flight}

    def _script(self, text: str) -> web.Response:
        """The data proxy's answer: a script, its charset in the header (it has no <meta> to carry one)."""
        return web.Response(body=text.encode(self.charset, errors="xmlcharrefreplace"),
                            headers={"Content-Type": f"text/javascript; charset={self.charset.upper()}"})

    def _html(self, text: str, status: int = 200) -> web.Response:
        # The GBK build is an old deployment: no charset in the header, only in the meta tag.
        is_utf8 = self.charset.lower() in ("utf-8", "utf8")
        content_type = "text/html; charset=UTF-8" if is_utf8 else "text/html"
        body = text.encode(self.charset, errors="xmlcharrefreplace")
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})

    def _not_found(self, message: str) -> web.Response:
        return self._html(pages.error_page(self.charset, self.sysid, message), status=404)

    def _mode_answer(self, request: web.Request) -> web.Response | None:
        """What a failure mode answers instead of the page, if anything."""
        self.served += 1
        if self.mode == "flaky" and self.served % modes.FLAKY_EVERY == 0 and request.path_qs not in self.failed_once:
            self.failed_once.add(request.path_qs)  # each page fails at most once, so a retry always succeeds
            return web.Response(status=503, text="Service Unavailable")
        if self.mode == "jsl":
            return self._jsl_answer(request)
        blocked = modes.block_page(self.mode, self.charset)
        if blocked is None:
            return None
        response = self._html(blocked[0])
        response.headers.update(blocked[1])
        return response

    def _jsl_answer(self, request: web.Request) -> web.Response | None:
        challenge = self.jsl.answer(request.cookies, request.headers.get("User-Agent", ""))
        if challenge is None:
            return None
        response = web.Response(text=challenge.html, status=521, content_type="text/html", charset="utf-8")
        if challenge.new_visitor is not None:
            response.set_cookie(VISITOR, challenge.new_visitor, max_age=31536000, path="/", httponly=True)
        return response

    async def list_page(self, request: web.Request) -> web.Response:
        if (answer := self._mode_answer(request)) is not None:
            return answer
        if request.query.get("sysid") != self.sysid:
            return self._not_found("栏目不存在。")
        cells = self.options.list_cells
        if self.options.list == "dataproxy":
            return self._html(pages.list_host_page(self.charset, self.sysid, dataproxy.PATHS[0], cells))
        page = max(1, _int_param(request, "pageIndex") or 1)
        per_page = self.options.per_page
        emptied = self.mode == "empty"
        letters = [] if emptied else self.world.newest_first(page, per_page)
        total = 0 if emptied else len(self.world.letters)
        return self._html(pages.list_page(self.charset, self.sysid, letters, total, page, per_page, cells))

    async def list_proxy(self, request: web.Request) -> web.Response:
        """POST dataproxy_mailpublist.do?startrecord=S&endrecord=E (form: sysid, ...): records S..E, newest first.
        A column of another build has no records here (an empty dataStore); the old pageIndex build has no proxy."""
        if self.options.list != "dataproxy":
            return self._not_found("您访问的页面不存在。")
        if (answer := self._mode_answer(request)) is not None:
            return answer
        form = await request.post() if request.method == "POST" else request.query
        start = max(1, _int_param(request, "startrecord") or 1)
        end = _int_param(request, "endrecord") or start + 56
        if self.mode == "empty" or form.get("sysid") != self.sysid:
            return self._script(dataproxy.answer([], 0, self.sysid, self.options.list_cells))
        letters = self.world.newest_range(start, end)
        return self._script(dataproxy.answer(letters, len(self.world.letters), self.sysid, self.options.list_cells))

    async def detail_page(self, request: web.Request) -> web.Response:
        if self.options.latency_ms:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.options.latency_ms / 1000)
            finally:
                self.in_flight -= 1
        if (answer := self._mode_answer(request)) is not None:
            return answer
        transact_id = _int_param(request, "transactId")
        letter = self.world.by_id.get(transact_id) if transact_id is not None else None
        if letter is None or request.query.get("sysid") != self.sysid:
            return self._not_found("您访问的信件不存在或已被删除。")
        if not letter.public:
            # jact never says "forbidden": it bounces back to the list with a flag.
            location = f"{LIST_PATH}?sysid={self.sysid}&msg=nopublic"
            return web.Response(status=302, headers={"Location": location})
        return self._html(pages.detail_page(self.charset, self.sysid, letter, self.options.detail, self.options.reply,
                                            lean=self.mode == "lean"))

    async def break_letter(self, request: web.Request) -> web.Response:
        """{"transactId": N, "how": "layout" | "blank_body" | "repair"}: the detail page in a changed layout,
        with an empty 信件内容, or as it was."""
        payload = await request.json()
        letter = self.world.by_id.get(int(payload.get("transactId", -1)))
        if letter is None:
            return web.json_response({"error": "unknown transactId"}, status=404)
        how = payload.get("how", "layout")
        if how not in ("layout", "blank_body", "repair"):
            return web.json_response({"error": f"unknown how {how!r}"}, status=400)
        letter.broken, letter.blank_body = how == "layout", how == "blank_body"
        return web.json_response({"ok": True, "transactId": letter.transact_id, "how": how})

    async def hide_letter(self, request: web.Request) -> web.Response:
        """An administrator unpublishes a letter: the list keeps it without a link, the detail redirects."""
        payload = await request.json()
        letter = self.world.by_id.get(int(payload.get("transactId", -1)))
        if letter is None:
            return web.json_response({"error": "unknown transactId"}, status=404)
        letter.public = False
        return web.json_response({"ok": True, "transactId": letter.transact_id})

    async def set_mode(self, request: web.Request) -> web.Response:
        mode = (await request.json()).get("mode")
        if mode not in modes.MODES:
            return web.json_response({"error": f"unknown mode {mode!r}", "modes": list(modes.MODES)}, status=400)
        self.mode, self.served = mode, 0
        self.failed_once.clear()
        return web.json_response({"ok": True, "mode": mode})

    async def all_letters(self, _: web.Request) -> web.Response:
        return web.json_response([letter.to_json() for letter in self.world.letters])


def create(name: str, seed: int, charset: str = "utf-8", sysid: str = "6", **options: Any) -> JactReplica:
    """Build the replica; `options` may be strings (letters, per_page, new_per_step, latency_ms)."""
    return JactReplica(name, int(seed), charset, str(sysid), Options.parse(options))
