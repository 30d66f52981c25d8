"""One jact spider, every list and letter-page variant of the replica (replicas/jact/README.md): the same letters
are stored as the same normalised messages, first harvest and incremental rerun alike; a site no variant explains
fails its run loudly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

LETTERS = 45
# variant -> (replica options, jact options of its definition)
VARIANTS: dict[str, tuple[dict[str, str], str]] = {
    "proxy6": ({}, ""),  # the default: 6-cell data proxy rows, four-column page, reply in a padded <div>
    "proxy5": ({"list_cells": "5", "reply": "box"}, ""),
    "laiwu": ({"detail": "labels", "reply": "box"}, 'list_path = "/jact/front/dataproxy_mailnewlist.action"\n'),
    "pageindex": ({"list": "pageindex", "detail": "labels", "reply": "inline"}, 'list = "pageindex"\n'),
}
# Fields that name where and when a message was harvested, not what it says (each variant is its own host, and
# the content hash covers the attachment links, which name the host: those are compared by path).
VOLATILE = {"id", "platform", "first_seen_at", "last_seen_at", "last_changed_at", "first_run_id", "last_run_id",
            "url", "link_group", "content_hash"}


def definition(folder: Path, variant: str, jact_options: str) -> str:
    """jact_demo's definition under another slug, with the variant's jact options."""
    slug = f"jact_{variant}"
    text = (BUILTIN_DIR / "jact_demo.toml").read_text(encoding="utf-8").replace('slug = "jact_demo"',
                                                                                f'slug = "{slug}"')
    (folder / f"{slug}.toml").write_text(text + (f"\n[options]\n{jact_options}" if jact_options else ""),
                                         encoding="utf-8")
    return slug


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[dict[str, str]]:
    """One replica process per variant, the same seed and letters in each."""
    with ExitStack() as stack:
        urls = {}
        for variant, (options, _) in VARIANTS.items():
            (tmp_path / variant).mkdir()
            served = stack.enter_context(replica_process(tmp_path / variant, ["jact"],
                                                         options={"jact": {"letters": LETTERS, **options}}))
            urls[variant] = served["jact"]
        yield urls


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str, sites: dict[str, str]) -> Path:
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    slugs = {definition(platforms, variant, options): sites[variant] for variant, (_, options) in VARIANTS.items()}
    return write_config(tmp_path, sqlite_url, slugs, extra=f'platforms_dirs = ["{platforms}"]')


def messages(db_url: str, variant: str) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: {**{k: v for k, v in m.items() if k not in VOLATILE},
                                   "attachments": [urlsplit(a).path for a in m["attachments"]]}
                for m in repo.iter_messages(platform=f"jact_{variant}")}


def runs(db_url: str, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {variant: repo.latest_runs(limit=1, platform=f"jact_{variant}")[0] for variant in variants}


def assert_same_messages(db_url: str) -> dict[str, dict[str, Any]]:
    """Every variant stored what the default stored; 5-cell lists cannot tell the unit of an unanswered letter."""
    reference = messages(db_url, "proxy6")
    assert len(reference) >= 30
    for variant in VARIANTS:
        stored = messages(db_url, variant)
        if variant == "proxy5":
            listed_only = {i for i, m in reference.items() if m["handling_unit"] and not m["replies"]}
            assert listed_only and all(stored[i]["handling_unit"] is None for i in listed_only)
            stored = {i: {**m, "handling_unit": reference[i]["handling_unit"]} if i in listed_only else m
                      for i, m in stored.items()}
        assert stored == reference, variant
    return reference


def test_every_variant_is_harvested_into_the_same_messages_first_and_incrementally(
        config: Path, sqlite_url: str, sites: dict[str, str]) -> None:
    first = harvest(config)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    public = control(sites["proxy6"], "stats")["public"]
    assert len(assert_same_messages(sqlite_url)) == public
    assert {v: (r["outcome"], r["new"], r["skipped"]) for v, r in runs(sqlite_url).items()} == \
        {v: ("succeeded", public, LETTERS - public) for v in VARIANTS}
    for url in sites.values():
        control(url, "advance", {"steps": 3})  # the same seed moves every variant's letters alike
        control(url, "stats/reset", {})
    again = harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    truth = {str(x["id"]): x for x in control(sites["proxy6"], "jact/letters")}
    stored = assert_same_messages(sqlite_url)
    assert {i for i, x in truth.items() if x["public"]} <= set(stored)
    changed = {v: r["changed"] for v, r in runs(sqlite_url).items()}
    assert changed["proxy6"] > 0 and len(set(changed.values())) == 1, changed
    # the list is read down to the cursor only: the 18 new letters fit one data proxy request (57 records), the
    # old variant's 15-row pages take two; the same letter pages are read in every variant
    requests = {v: control(url, "stats")["requests"] for v, url in sites.items()}
    lists = {v: sum(n for path, n in r.items() if "list" in path) for v, r in requests.items()}
    assert lists == {"proxy6": 1, "proxy5": 1, "laiwu": 1, "pageindex": 2}, requests
    assert len({r["/jact/front/mailpubdetail.do"] for r in requests.values()}) == 1, requests


def test_a_list_no_variant_explains_fails_the_run(config: Path, sqlite_url: str, sites: dict[str, str],
                                                  tmp_path: Path) -> None:
    """The spider asking the data proxy of a pageIndex build (404), or reading a data proxy site's list page as a
    pageIndex list (no rows, no pager): each run fails naming why, stores nothing, and the page is quarantined."""
    swapped = write_config(tmp_path, sqlite_url, {"jact_proxy6": sites["pageindex"], "jact_pageindex": sites["proxy6"]},
                           extra=f'platforms_dirs = ["{tmp_path / "platforms"}"]')
    result = harvest(swapped)
    assert result.returncode == 1
    found = runs(sqlite_url, ("proxy6", "pageindex"))
    assert (found["proxy6"]["outcome"], found["proxy6"]["failure_class"]) == ("failed", "http_error")
    assert (found["pageindex"]["outcome"], found["pageindex"]["failure_class"]) == ("failed", "layout_changed")
    assert "div.jact_page" in found["pageindex"]["error"]
    assert messages(sqlite_url, "proxy6") == messages(sqlite_url, "pageindex") == {}
    with Store.open(sqlite_url).transaction() as repo:
        [page] = repo.quarantined(platform="jact_pageindex")
    assert "mailpublist.do" in page["url"] and "dataproxy_mailpublist.do" in page["body"].decode("utf-8")
