"""Recorded Discuz pages parsed the way the spider and the normalise step would, as JSON data (fixtures)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from harvester.extract.errors import NotPublic
from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation, plain
from harvester.pipelines.normalise import normalise_message
from harvester.registry import Board
from harvester.timeutil import to_utc
from spiders.discuz import pages
from spiders.discuz.messages import ThreadContext, thread_message
from spiders.discuz.options import parse_options, thread_url

PAGES = ("list", "thread_page", "thread")


def jsonable(value: Any) -> Any:
    """Page-object data with times as UTC ISO strings (dates as ISO dates)."""
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


def parse(page: str, snapshot: Snapshot, context: dict[str, Any],
          definition: object = None) -> dict[str, Any]:  # `definition`: unused, a code family needs none
    """`list`: the board page; `thread_page`: one page's floors; `thread`: a one-page thread as its message.

    A refused thread gives {"error": "NotPublic", "reason": …}; LayoutChanged propagates.
    """
    if page == "list":
        return jsonable(plain(pages.parse_board(snapshot)))
    if page == "thread_page":
        return jsonable(plain(pages.parse_thread(snapshot)))
    if page != "thread":
        raise KeyError(f"no discuz page object {page!r}; known {PAGES}")
    options = parse_options(context.get("options", {}), "recorded case")
    tid = context["external_id"]
    url = thread_url(context["base_url"], tid, 1, options.url_style)
    try:
        read = pages.parse_thread(snapshot)  # no board list here: closed as the opening post's moderation says
        thread = ThreadContext(context["platform"], Board(**context["board"]), tid, url, options,
                               closed=bool(read.closed))
        message = thread_message([read], thread, snapshot)
    except NotPublic as refusal:
        return {"error": "NotPublic", "reason": refusal.reason}
    return message_expectation(normalise_message(message))
