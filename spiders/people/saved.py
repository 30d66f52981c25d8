"""How `harvester parse` reads a saved 领导留言板 answer (list or content JSON; an HTML answer is a block page)."""

from __future__ import annotations

import re
from typing import Any

from harvester.definition import Definition
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from spiders.people.recorded import parse
from spiders.savedpage import SavedPages, base_url_of


def page_of_url(spec: PlatformSpec, definition: Definition | None, url: str) -> str | None:
    return "list" if re.search(r"/threads/list|queryThreadsList", url) else \
        "content" if "/threads/content" in url else None


def context(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> dict[str, Any]:
    return {"platform": spec.slug, "base_url": base_url_of(spec, snapshot.url),
            "addressees": {b.id: b.addressee for b in spec.boards}, "options": dict(spec.options)}


def screen(snapshot: Snapshot) -> str | None:
    """The spider classifies every answer before reading it: why this one is not data, or None."""
    verdict = parse("answer", snapshot, {})["answer"]
    if verdict == "ok":
        return None
    return (f"the API answered {verdict!r} (not data: a block page, a refused signature, a deleted message or an "
            "error code)")


SAVED = SavedPages(kinds={"list": ("list",), "detail": ("content",), "thread": ("content",),
                          "api": ("list", "content")},
                   page_of_url=page_of_url, context=context, html_pages=("content",), screen=screen)
