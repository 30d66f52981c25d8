"""One Discuz spider, forums drawn three ways: the install defaults (X3.4, author linked in the left column,
<em>N</em><sup>#</sup> floors), X3.5 with authoronleft 0 and custom floor names, and X5-era pages (body in div.t_f,
floors <em>N</em>楼). The same forum harvested through `harvester harvest` must give the same messages, on the
first harvest (whole threads, page 2+ without counters) and after the forum moves on (partial reads from a later
page, counted by the board list)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.store.db import Store
from harvester.timeutil import SHANGHAI
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SLUG = "discuz_demo"
SITE = {"threads_per_board": 25, "boards": "27", "tpp": 10, "ppp": 10, "paid_threads": 1}
VARIANTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "x35": {"version": "x3.5", "authoronleft": "0", "postnocustom": "楼主,沙发,板凳,地板"},
    "x5": {"version": "x5", "authoronleft": "0", "postno": "楼"},
}


@pytest.fixture
def forums(tmp_path: Path) -> Iterator[dict[str, str]]:
    """One replica process per variant, all frozen at the same now, so their threads and dates are alike."""
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0).isoformat()
    urls: dict[str, str] = {}
    with (replica_process(tmp_path, ["discuz"], options={"discuz": {**SITE, "now": now}}) as a,
          replica_process(tmp_path, ["discuz"], options={"discuz": {**SITE, "now": now, **VARIANTS["x35"]}}) as b,
          replica_process(tmp_path, ["discuz"], options={"discuz": {**SITE, "now": now, **VARIANTS["x5"]}}) as c):
        urls.update(defaults=a["discuz"], x35=b["discuz"], x5=c["discuz"])
        yield urls


def configs(tmp_path: Path, forums: dict[str, str]) -> dict[str, tuple[Path, str]]:
    """The same platform (same spider options) pointed at each variant, each with a store of its own."""
    made = {}
    for name, url in forums.items():
        folder = tmp_path / name
        folder.mkdir()
        db_url = f"sqlite:///{folder / 'store.db'}"
        made[name] = (write_config(folder, db_url, {SLUG: url}), db_url)
    return made


def messages(db_url: str) -> dict[str, dict[str, Any]]:
    """Stored messages without what names the site's address."""
    with Store.open(db_url).transaction() as repo:
        stored = {m["external_id"]: m for m in repo.iter_messages(platform=SLUG)}
    keep = ("title", "body", "author", "kind_raw", "status", "posted_at", "updated_at", "views")
    return {tid: {**{key: m[key] for key in keep},
                  "replies": [(r["external_id"], r["author"], r["text"], r["official"], r["organisation"],
                               r["replied_at"]) for r in m["replies"]]}
            for tid, m in stored.items()}


def latest_run(db_url: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=SLUG)[0]


def harvest_all(made: dict[str, tuple[Path, str]]) -> None:
    for name, (config, _) in made.items():
        result = harvest(config)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_every_variant_harvests_into_the_same_messages(tmp_path: Path, forums: dict[str, str]) -> None:
    made = configs(tmp_path, forums)
    truth = control(forums["defaults"], "discuz/threads?fid=27")
    assert all(control(url, "discuz/threads?fid=27") == truth for url in forums.values())
    harvest_all(made)
    read = {name: messages(db_url) for name, (_, db_url) in made.items()}
    expected = {str(t["tid"]) for t in truth if not t["pinned"] and not t["readperm"] and not t["price"]}
    assert set(read["defaults"]) == expected and len(expected) > 15
    long = max(truth, key=lambda t: len(t["posts"]))
    assert len(read["defaults"][str(long["tid"])]["replies"]) > 20  # a thread of several pages was joined
    for name in ("x35", "x5"):
        assert read[name] == read["defaults"], name
    paid = [t for t in truth if t["price"]]
    for name, (_, db_url) in made.items():
        run = latest_run(db_url)
        assert (run["outcome"], run["quarantined"]) == ("succeeded", 0), name
        assert run["skipped"] == len(truth) - len(expected)  # pinned notices, read-protected and paid threads
    assert paid and all(str(t["tid"]) not in read["defaults"] for t in paid)

    moved = [control(url, "advance", {"steps": 3}) for url in forums.values()]
    assert all(step == moved[0] for step in moved) and moved[0]["new_pids"]
    harvest_all(made)
    again = {name: messages(db_url) for name, (_, db_url) in made.items()}
    assert again["defaults"] != read["defaults"]
    for name in ("x35", "x5"):
        assert again[name] == again["defaults"], name
    for name, (_, db_url) in made.items():
        assert latest_run(db_url)["quarantined"] == 0, name


def test_a_thread_moved_away_leaves_a_stub_that_is_skipped_not_quarantined(tmp_path: Path) -> None:
    """A moderator moves a harvested thread to another board with a redirect left behind (移动:, '-' counters):
    the board still harvests, the stub is skipped, and the message stays stored as it was."""
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0).isoformat()
    with replica_process(tmp_path, ["discuz"], options={"discuz": {**SITE, "now": now, "boards": "27,2"}}) as urls:
        (made,) = configs(tmp_path, {"defaults": urls["discuz"]}).values()
        config, db_url = made
        assert harvest(config).returncode == 0
        before = messages(db_url)
        listed = [t for t in control(urls["discuz"], "discuz/threads?fid=27") if str(t["tid"]) in before]
        moved = max(listed, key=lambda t: t["last_post_at"])
        stub = control(urls["discuz"], "discuz/move", {"tid": moved["tid"], "fid": 2})
        assert stub["moved_to"] == moved["tid"] and stub["fid"] == 27
        control(urls["discuz"], "advance", {"steps": 1})
        result = harvest(config)
        assert result.returncode == 0, result.stdout + result.stderr
        run = latest_run(db_url)
        assert (run["outcome"], run["quarantined"]) == ("succeeded", 0)
        after = messages(db_url)
        assert after[str(moved["tid"])] == before[str(moved["tid"])]
        assert str(stub["tid"]) not in after
