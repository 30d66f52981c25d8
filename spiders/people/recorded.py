"""Recorded 领导留言板 answers parsed the way the spider and the normalise step would, as JSON data (fixtures)."""

from __future__ import annotations

from typing import Any

from harvester.extract.snapshot import Snapshot
from harvester.fixtures import message_expectation, plain
from harvester.pipelines.normalise import normalise_message
from spiders.people import api
from spiders.people.content import ContentContext, parse_content
from spiders.people.options import parse_options

PAGES = ("shell", "answer", "list", "content")


def parse(page: str, snapshot: Snapshot, context: dict[str, Any],
          definition: object = None) -> dict[str, Any]:  # `definition`: unused, a code family needs none
    """`shell`: the appCode; `answer`: how an API answer is classified; `list`: a list page; `content`: the
    message (or {"error": <answer>} when the answer carries none). LayoutChanged propagates."""
    if page == "shell":
        return plain(api.parse_shell(snapshot))
    if page == "answer":
        return {"answer": api.answer(snapshot).value}
    if page == "list":
        return _list_expectation(api.parse_list(snapshot))
    if page != "content":
        raise KeyError(f"no people page object {page!r}; known {PAGES}")
    verdict = api.answer(snapshot)
    if verdict is not api.Answer.OK:
        return {"error": verdict.value}
    options = parse_options(context.get("options", {}), "recorded case")
    content = ContentContext(context["platform"], context["base_url"], context["addressees"], options)
    return message_expectation(normalise_message(parse_content(snapshot, content)))


def _list_expectation(listing: api.ListPage) -> dict[str, Any]:
    """The list page as the recorded cases expect it: its items (without the publication times, which came later:
    they are datetimes, not JSON; tests/unit/test_people_pages.py checks them on the recorded inputs) and the
    `lastItem` the next call would send."""
    data = plain(listing)
    if not data["rejected"]:
        del data["rejected"]  # shown only when an item did not read (cases recorded before it existed have none)
    for item in data["items"]:
        item.pop("published", None)
    return {**data, "next_cursor": listing.next_cursor}
