"""The fast-reply adapter finds its own posts on a thread page whichever side links the author (authoronleft 1,
the install default: left column a.xw1; 0: post header a.xi2) and whether the body is td.t_f or div.t_f (X5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discuz_reply import posts_by
from harvester.fixtures import load_case

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("slug", ["discuz_demo", "discuz_demo_gbk", "discuz_demo_x35", "discuz_demo_x5"])
def test_own_posts_are_found_in_every_variant(slug: str) -> None:
    recorded = load_case(FIXTURES / slug / "thread_official_reply")
    official = next(reply for reply in recorded.expected["replies"] if reply["official"])
    found = posts_by(recorded.snapshot, official["author"])
    mine = [reply for reply in recorded.expected["replies"] if reply["author"] == official["author"]]
    assert [(post.pid, post.text, post.pending) for post in found] == [
        (reply["external_id"], reply["text"], False) for reply in mine]
    assert posts_by(recorded.snapshot, "没有这个人") == []
