"""How `harvester parse` reads a saved Discuz! page (forum list or thread; page 2 on gives floors only)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from harvester.definition import Definition
from harvester.extract.errors import LayoutChanged, NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.registry import PlatformSpec
from spiders.discuz.recorded import parse
from spiders.savedpage import Reading, SavedPages, base_url_of, board_of, query_value

TID = re.compile(r"(?:thread-(\d+)-\d+-\d+\.html|[?&;]p?tid=(\d+))")


def page_of_url(spec: PlatformSpec, definition: Definition | None, url: str) -> str | None:
    return "list" if re.search(r"forumdisplay|forum-\d+-\d+\.html", url) else "thread" if TID.search(url) else None


def thread_id(snapshot: Snapshot) -> str:
    """The thread's tid: from its URL, else the one the page's own links name most (只看该作者, 举报 …)."""
    found = TID.search(snapshot.url)
    if found:
        return found.group(1) or found.group(2)
    named = Counter(a or b for a, b in TID.findall(snapshot.text))
    return named.most_common(1)[0][0] if named else ""


def context(spec: PlatformSpec, definition: Definition | None, page: str, snapshot: Snapshot) -> dict[str, Any]:
    url = snapshot.url
    return {"platform": spec.slug, "base_url": base_url_of(spec, url), "board": board_of(spec, query_value(url, "fid")),
            "external_id": thread_id(snapshot), "options": dict(spec.options)}


def later_thread_page(page: str, snapshot: Snapshot) -> Reading | None:
    """Page 2 on of a thread: its floors only (the opening post, the message, is on page 1)."""
    if page != "thread":
        return None
    try:
        floors = parse("thread_page", snapshot, {})
    except (LayoutChanged, NotPublic):
        return None  # the message's parse says why
    if int(floors.get("page") or 1) > 1:
        return Reading("thread_page", False, list(floors.get("posts", [])),
                       [f"thread page {floors['page']}: its floors (read page 1 for the message)"])
    return None


SAVED = SavedPages(kinds={"list": ("list",), "detail": ("thread",), "thread": ("thread",)}, page_of_url=page_of_url,
                   context=context, read_first=later_thread_page)
