"""What the mailbox layouts share: options, the world, status labels, ground truth, template edits, responses."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace
from html import escape
from typing import Any, ClassVar

from aiohttp import web

from replicas.framework import CONTROL_PREFIX
from replicas.mailboxes.letters import PENDING, Letter, Profile
from replicas.mailboxes.template import TemplateEdits
from replicas.mailboxes.world import World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EDITED_TYPES = ("text/html", "text/xml")  # pages whose markup a template edit changes (not JSON APIs)


@dataclass(frozen=True)
class Options:
    """Replica options; the CLI hands them over as strings (`--set dalian.letters=500`)."""

    letters: int = 60
    per_page: int = 15
    new_per_step: int = 3
    latency_ms: int = 0
    charset: str = "utf-8"

    @classmethod
    def parse(cls, site: str, raw: dict[str, Any], **defaults: Any) -> Options:
        """Site defaults first, then the caller's values; unknown names and bad numbers raise."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise TypeError(f"{site} replica: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
        merged = {**defaults, **raw}
        numbers = {key: int(value) for key, value in merged.items() if key != "charset"}
        if numbers.get("per_page", 1) < 1 or any(v < 0 for v in numbers.values()):
            raise ValueError(f"{site} replica: options must be non-negative, per_page positive: {numbers}")
        return replace(cls(), **numbers, charset=str(merged.get("charset", "utf-8")).lower())


def meta_tag(charset: str) -> str:
    """UTF-8 builds use the short form; old GBK builds only declare it in an http-equiv meta."""
    if charset in ("utf-8", "utf8"):
        return '<meta charset="utf-8">'
    return f'<meta http-equiv="Content-Type" content="text/html; charset={escape(charset)}">'


def paragraphs(text: str) -> str:
    """A multi-line text as the `<p>` run most portals use."""
    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)


def seconds(when: Any) -> str:
    """`YYYY-MM-DD HH:MM:SS` local time, or "" for no time."""
    return f"{when:%Y-%m-%d %H:%M:%S}" if when is not None else ""


class MailboxSite:
    """Base of one layout: subclasses set the class attributes and render/route their pages."""

    profile: ClassVar[Profile]
    labels: ClassVar[dict[str, str]]  # stage -> the status label this site shows
    public_only: ClassVar[bool] = False  # True: non-public letters never appear; False: listed without a link

    def __init__(self, name: str, seed: int, options: Options) -> None:
        self.name = name
        self.options = options
        self.world = World(name, seed, self.profile, options.letters, options.new_per_step)
        self._index: dict[str, Letter] = {}
        self.template = TemplateEdits()

    # -- what a layout defines ------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def site_id(self, letter: Letter) -> str:
        """The letter's id as it appears in the site's URLs."""
        raise NotImplementedError

    def detail_path(self, letter: Letter) -> str:
        raise NotImplementedError

    def letter_no(self, letter: Letter) -> str | None:
        """The visible letter number, when the site shows one."""
        return None

    def extra_truth(self, letter: Letter) -> dict[str, Any]:
        """Layout-specific ground-truth fields (overdue flag, views …)."""
        return {}

    # -- shared behaviour -----------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{CONTROL_PREFIX}{self.name}/letters", self._truth)
        app.router.add_get(f"{CONTROL_PREFIX}{self.name}/template", self._template)
        app.router.add_post(f"{CONTROL_PREFIX}{self.name}/template", self._template)
        self.routes(app)

    def slow(self, handler: Handler) -> Handler:
        """Wrap a page handler: the configured latency, and the template edits on the markup it returns."""
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if self.options.latency_ms:
                await asyncio.sleep(self.options.latency_ms / 1000)
            response = await handler(request)
            return self.edited(response) if self.template else response
        return wrapped

    def edited(self, response: web.StreamResponse) -> web.StreamResponse:
        """An HTML or XML page re-rendered with the template edits, in its own charset."""
        if not isinstance(response, web.Response) or response.content_type not in EDITED_TYPES \
                or not isinstance(response.body, bytes):
            return response
        charset = response.charset or self.options.charset
        markup = self.template.apply(response.body.decode(charset))
        response.body = markup.encode(charset, errors="xmlcharrefreplace")
        return response

    async def _template(self, request: web.Request) -> web.Response:
        """GET: the current edits; POST `{"rename": {old: new}, "class": {old: new}, "reset": true}`."""
        if request.method == "GET":
            return web.json_response(self.template.state())
        try:
            return web.json_response(self.template.update(await request.json()))
        except ValueError as error:  # a malformed JSON body is a ValueError too
            return web.json_response({"error": str(error)}, status=400)

    def find(self, key: str) -> Letter | None:
        """The letter with site id `key`, public or not."""
        if len(self._index) != len(self.world.letters):
            self._index = {self.site_id(letter): letter for letter in self.world.letters}
        return self._index.get(key)

    def ordered(self, letters: list[Letter]) -> list[Letter]:
        """Letters (newest first) in the order the site's list shows them; most lists keep that order."""
        return letters

    def listed(self) -> list[Letter]:
        """The letters the list shows, in its order."""
        return self.ordered(self.world.newest_first(public_only=self.public_only))

    def status(self, letter: Letter) -> str:
        return self.labels[letter.stage]

    def advance(self, steps: int) -> dict[str, Any]:
        """World steps, reported in site ids; `status_changed` only lists letters whose shown label changed
        (Dalian shows 已办结 both for replied and closed letters)."""
        before = {id(letter): self.status(letter) for letter in self.world.letters}
        moved = self.world.advance(steps)
        moved["status_changed"] = [x for x in moved["status_changed"]
                                   if before.get(id(x), self.labels[PENDING]) != self.status(x)]
        summary: dict[str, Any] = {key: [self.site_id(x) for x in found] for key, found in moved.items()}
        summary["clock"] = self.world.clock.isoformat()
        return summary

    def stats(self) -> dict[str, Any]:
        by_status = Counter(self.status(letter) for letter in self.world.letters)
        return {**self.world.stats(), "by_status": dict(sorted(by_status.items()))}

    def truth(self, letter: Letter) -> dict[str, Any]:
        """Ground truth a harvest is compared against (times ISO 8601 with +08:00)."""
        reply = None
        if letter.replied_at is not None:
            reply = {"unit": letter.unit, "replied_at": letter.replied_at.isoformat(), "text": letter.reply_text}
        return {
            "id": self.site_id(letter), "letter_no": self.letter_no(letter), "title": letter.title,
            "author": letter.author, "body": letter.body, "status": self.status(letter),
            "posted_at": letter.posted_at.isoformat(), "kind": letter.kind, "unit": letter.unit,
            "public": letter.public, "detail_path": self.detail_path(letter) if letter.public else None,
            "reply": reply, **self.extra_truth(letter),
        }

    async def _truth(self, _: web.Request) -> web.Response:
        return web.json_response([self.truth(letter) for letter in self.ordered(self.world.newest_first())])

    def html(self, text: str, status: int = 200) -> web.Response:
        # A GBK build is an old deployment: no charset in the header, only in the meta tag.
        charset = self.options.charset
        content_type = "text/html; charset=UTF-8" if charset in ("utf-8", "utf8") else "text/html"
        body = text.encode(charset, errors="xmlcharrefreplace")
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})


def int_param(value: str | None, default: int) -> int | None:
    """A non-negative integer parameter; `default` when absent, None when malformed."""
    if value is None or value == "":
        return default
    return int(value) if value.strip().isdigit() else None
