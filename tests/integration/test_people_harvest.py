"""The 领导留言板 spider against the people replica, through `harvester harvest` processes and a real SQLite store:
the signed API path, incremental runs counted by the replica, throttling, an appCode rotation, and the
browser path (identical output, and the fallback when the API refuses plain clients)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from harvester.timeutil import from_unix
from tests.harvesting import ROOT, harvest, harvester_env, write_config
from tests.localserver import serve_locally
from tests.replicahost import control, replica_process

SLUG = "people_demo"
BOARDS = ("559", "1007")
FAST = {"download_delay": 0, "concurrency": 8}  # loopback, no rate limit: as fast as Scrapy goes
# Store bookkeeping, and link_group: copies (一稿多投) are numbered as they arrive, so two harvests of one site
# may number the same group differently (the generated letters are alike enough to be linked).
VOLATILE = {"id", "first_seen_at", "last_seen_at", "last_changed_at", "first_run_id", "last_run_id", "link_group"}


def site(tmp: Path, per_board: int, rate_per_s: float = 0, seed: int = 7, **options: Any) -> Any:
    return replica_process(tmp, ["people"], seed=seed, options={
        "people": {"boards": 2, "per_board": per_board, "rate_per_s": rate_per_s, **options}})


def truth(base: str) -> dict[str, dict[str, Any]]:
    return {str(m["tid"]): m for m in control(base, "people/messages")}


def stored(db_url: str, platform: str = SLUG) -> dict[str, dict[str, Any]]:
    with Store.open(db_url).transaction() as repo:
        return {m["external_id"]: m for m in repo.iter_messages(platform=platform)}


def normalised(db_url: str) -> dict[str, dict[str, Any]]:
    return {key: {k: v for k, v in m.items() if k not in VOLATILE} for key, m in stored(db_url).items()}


def cursors(db_url: str, platform: str = SLUG) -> dict[str, int | None]:
    with Store.open(db_url).transaction() as repo:
        return {fid: int(v) if (v := repo.get_cursor(platform, fid)) else None for fid in BOARDS}


def latest_run(db_url: str, platform: str = SLUG) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=platform)[0]


def event_count(db_url: str) -> int:
    with Store.open(db_url).transaction() as repo:
        return len(repo.events_since(0, limit=100_000))


def requests_made(base: str) -> dict[str, int]:
    return dict(control(base, "stats")["requests"])


def assert_matches_truth(messages: dict[str, dict[str, Any]], site_truth: dict[str, dict[str, Any]]) -> None:
    """Every message stored whole, as the site holds it (the list APIs' cut text would fail the body check)."""
    assert set(messages) == set(site_truth)
    for tid, fact in site_truth.items():
        message = messages[tid]
        assert (message["title"], message["body"], message["author"]) == (fact["subject"], fact["content"],
                                                                          fact["nickName"]), tid
        assert (message["status_raw"], message["kind_raw"], message["topic_raw"]) == (
            fact["stateInfo"], fact["typeName"], fact["domainName"]), tid
        assert (message["board_id"], message["region"], message["likes"]) == (str(fact["fid"]), fact["from"].strip(),
                                                                              fact["favNum"])
        assert message["posted_at"] == from_unix(fact["dateline"])
        grades = {"manner": fact["gradeManner"], "speed": fact["gradeSpeed"]}
        assert message["satisfaction"] == {k: v for k, v in grades.items() if v is not None}, tid
        assert [(r["external_id"], r["organisation"], r["text"], r["replied_at"]) for r in message["replies"]] == [
            (str(r["answerId"]), r["organization"], r["content"], from_unix(r["dateline"]))
            for r in fact["replies"]], tid


def newest_per_board(site_truth: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {fid: max(m["tid"] for m in site_truth.values() if str(m["fid"]) == fid) for fid in BOARDS}


def listed(site_truth: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The messages the site shows: approved ones (the replica also holds some back for a while)."""
    return {tid: m for tid, m in site_truth.items() if m["published"]}


def due_count(messages: Any) -> int:
    """Stored messages a run with HARVESTER_RECHECK_AFTER_HOURS=0 reads again: open ones, ungraded 已办理."""
    return sum(m["status"] in ("pending", "in_progress") or (m["status"] == "replied" and not m["satisfaction"])
               for m in messages)


# --- the API path: a full harvest, a rerun with nothing new, then a day's moves -------------------------
@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two boards of 300 messages each on one replica, harvested three times through the signed API: in full;
    again with nothing new; after the site moved on 4 hours, with every open message due for a re-check."""
    tmp = tmp_path_factory.mktemp("people_api")
    seen: dict[str, Any] = {}
    with site(tmp, per_board=300) as urls:
        base, db_url = urls["people"], f"sqlite:///{tmp / 'harvester.db'}"
        config = write_config(tmp, db_url, {SLUG: base}, overrides={SLUG: FAST})
        full = harvest(config)
        assert full.returncode == 0, full.stdout + full.stderr[-3000:]
        seen["full"] = {"run": latest_run(db_url), "truth": truth(base), "stored": stored(db_url),
                        "cursors": cursors(db_url), "events": event_count(db_url)}
        control(base, "stats/reset", {})
        assert harvest(config).returncode == 0
        seen["rerun"] = {"run": latest_run(db_url), "requests": requests_made(base), "events": event_count(db_url)}
        messages = stored(db_url).values()
        seen["due"] = due_count(messages)
        seen["graded"] = sum(m["status"] == "replied" and bool(m["satisfaction"]) for m in messages)
        seen["moved"] = control(base, "advance", {"steps": 1})
        control(base, "stats/reset", {})
        moved = harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0")
        assert moved.returncode == 0, moved.stderr[-3000:]
        seen["after"] = {"run": latest_run(db_url), "requests": requests_made(base), "truth": truth(base),
                         "stored": stored(db_url), "cursors": cursors(db_url)}
        yield seen


def test_the_api_path_stores_every_message_of_both_boards_whole(scenario: dict[str, Any]) -> None:
    full = scenario["full"]
    assert len(full["truth"]) == 600
    assert_matches_truth(full["stored"], full["truth"])
    assert sum(len(m["content"]) > 103 for m in full["truth"].values()) > 300  # lists would have cut these
    assert (full["run"]["outcome"], full["run"]["new"], full["run"]["quarantined"]) == ("succeeded", 600, 0)
    assert full["cursors"] == newest_per_board(full["truth"])


def test_a_rerun_with_nothing_new_reads_one_shell_and_one_list_page_per_board(scenario: dict[str, Any]) -> None:
    rerun = scenario["rerun"]
    assert rerun["requests"] == {"/threads/list": 1, "/v1/threads/list/df": 2}  # <= 2 per board
    assert (rerun["run"]["outcome"], rerun["run"]["new"], rerun["run"]["changed"]) == ("succeeded", 0, 0)
    assert rerun["events"] == scenario["full"]["events"]


def test_new_messages_take_one_list_call_per_board_and_each_due_message_one_content_call(
        scenario: dict[str, Any]) -> None:
    after, new = scenario["after"], scenario["moved"]["new"]
    assert scenario["due"] > 50 and scenario["graded"] > 50  # graded 已办理 have settled: not re-read
    assert after["requests"] == {"/threads/list": 1, "/v1/threads/list/df": 2,
                                 "/v1/threads/content": scenario["due"] + len(new)}
    assert after["run"]["new"] == len(new) and after["run"]["changed"] >= len(scenario["moved"]["replied"]) > 0
    assert_matches_truth(after["stored"], after["truth"])  # every move of an open message was seen
    assert after["cursors"] == newest_per_board(after["truth"])


# --- throttling and releases -----------------------------------------------------------------------
def definition(tmp: Path, slug: str, **options: Any) -> Path:
    """The people_demo definition under another slug (in a platforms dir of its own), with options changed."""
    data = tomllib.loads((BUILTIN_DIR / f"{SLUG}.toml").read_text(encoding="utf-8"))
    plain = {**data, "slug": slug}
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in plain.items()
             if key not in ("boards", "options")]
    lines += [f"[[boards]]\nid = {json.dumps(b['id'])}\naddressee = {json.dumps(b['addressee'], ensure_ascii=False)}"
              for b in data["boards"]]
    merged = {k: v for k, v in {**data["options"], **options}.items() if not k.endswith("_labels")}
    lines += ["[options]", *(f"{key} = {json.dumps(value)}" for key, value in merged.items())]
    folder = tmp / "platforms"
    folder.mkdir(exist_ok=True)
    (folder / f"{slug}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_throttled_calls_that_fail_for_good_hold_the_cursor_and_the_next_run_loses_nothing(
        tmp_path: Path, sqlite_url: str) -> None:
    slug = "people_strict"
    folder = definition(tmp_path, slug, max_attempts=1, backoff_s=0.05)
    with site(tmp_path, per_board=10) as urls:
        base = urls["people"]
        config = write_config(tmp_path, sqlite_url, {slug: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: FAST})
        boards = {fid: [m["tid"] for m in control(base, f"people/messages?fid={fid}")] for fid in BOARDS}
        refused = {boards["559"][3], boards["1007"][6]}  # newest first: older ones on both sides of each
        control(base, "people/refuse", {"tids": sorted(refused)})  # blocked by the WAF on every attempt
        first = harvest(config)
        first_run, first_cursors, first_stored = latest_run(sqlite_url, slug), cursors(sqlite_url, slug), stored(
            sqlite_url, slug)
        control(base, "people/refuse", {"tids": []})
        definition(tmp_path, slug, max_attempts=8, backoff_s=0.2)  # same platform, patient this time
        throttled_before = control(base, "people/waf", {"rate_per_s": 3, "storm": 3})["throttled"]
        second = harvest(config)  # 3 calls at once, then 3 a second: FAST overruns it, patience gets through
        site_truth, throttled = truth(base), control(base, "stats")["rate_limited"] - throttled_before
    assert first.returncode == 1 and (first_run["outcome"], first_run["failure_class"]) == ("failed", "blocked")
    assert set(first_stored) == set(site_truth) - {str(tid) for tid in refused}  # nothing else was lost
    for fid, tids in boards.items():  # each cursor stops below its board's refused message, not before
        cursor, gap = first_cursors[fid], next(tid for tid in tids if tid in refused)
        assert cursor == max(tid for tid in tids if tid < gap), fid
        assert {str(tid) for tid in tids if tid <= cursor} <= set(first_stored)
    assert second.returncode == 0, second.stderr[-3000:]
    assert throttled >= 3  # the WAF answered 429, a 403 page and an empty 200 in turn
    assert_matches_truth(stored(sqlite_url, slug), site_truth)
    assert cursors(sqlite_url, slug) == newest_per_board(site_truth)


def test_throttled_query_threads_list_calls_are_waited_out_like_signed_ones(tmp_path: Path, sqlite_url: str) -> None:
    slug = "people_form"
    folder = definition(tmp_path, slug, list_api="form", backoff_s=0.05)
    with site(tmp_path, per_board=25) as urls:  # three form pages per board (10, 10, 5)
        base = urls["people"]
        config = write_config(tmp_path, sqlite_url, {slug: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: FAST})
        control(base, "people/waf", {"storm": 4, "storm_path": "/threads/queryThreadsList"})  # 429, 403, empty
        result = harvest(config)
        made, site_truth, stats = requests_made(base), truth(base), control(base, "stats")
    assert result.returncode == 0, result.stderr[-3000:]
    assert stats["rate_limited"] == 4 and made["/threads/queryThreadsList"] == 6 + 4  # each page once, plus retries
    assert_matches_truth(stored(sqlite_url, slug), site_truth)
    assert cursors(sqlite_url, slug) == newest_per_board(site_truth)


def test_a_first_harvest_with_a_backfill_window_reads_only_that_far_back_then_goes_on_incrementally(
        tmp_path: Path, sqlite_url: str) -> None:
    slug = "people_recent"
    folder = definition(tmp_path, slug, backfill_days=10)
    with site(tmp_path, per_board=60) as urls:  # 60 days of history per board
        base = urls["people"]
        config = write_config(tmp_path, sqlite_url, {slug: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: FAST})
        control(base, "stats/reset", {})
        first = harvest(config)
        site_truth, made, first_stored = listed(truth(base)), requests_made(base), set(stored(sqlite_url, slug))
        control(base, "advance", {"steps": 1})
        second = harvest(config)
        after = listed(truth(base))
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    recent: set[str] = set()
    for fid in BOARDS:
        board = {tid: m for tid, m in site_truth.items() if str(m["fid"]) == fid}
        newest = max(m["threadsCheckTime"] for m in board.values())
        recent |= {tid for tid, m in board.items() if m["threadsCheckTime"] >= newest - 10 * 86400}
    assert 0 < len(recent) < len(site_truth) / 2  # the window leaves most of the history out
    assert first_stored == recent and made["/v1/threads/content"] == len(recent)  # nothing older fetched
    # then incremental from the newest, as usual: what was listed since, and nothing from before the window
    assert set(stored(sqlite_url, slug)) == recent | (set(after) - set(site_truth))
    assert cursors(sqlite_url, slug) == newest_per_board(after)


def test_an_app_code_rotation_mid_harvest_is_survived_by_the_api_path_alone(tmp_path: Path, sqlite_url: str) -> None:
    """No browser to fall back on: the guard reads the new appCode from a shell and signs the refused calls again."""
    slug = "people_api_only"
    folder = definition(tmp_path, slug, browser_fallback=False)
    with site(tmp_path, per_board=30) as urls:
        base = urls["people"]
        config = write_config(tmp_path, sqlite_url, {slug: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: {"download_delay": 0.02}})
        crawl = subprocess.Popen([sys.executable, "-m", "harvester", "harvest"], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harvester_env(config))
        deadline = time.monotonic() + 60
        while control(base, "stats")["total"] < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        release = control(base, "people/rotate-appcode", {})
        out, err = crawl.communicate(timeout=120)
        stats, site_truth = control(base, "stats"), truth(base)
    assert crawl.returncode == 0, out + err[-3000:]
    assert stats["appCode"] == release["appCode"] and stats["signature_failures"] >= 1
    assert stats["requests"]["/threads/list"] == 2  # the warm-up, and one re-read for every refused call
    assert "/threads/content" not in stats["requests"] and "going on in the browser" not in err  # no browser
    assert_matches_truth(stored(sqlite_url, slug), site_truth)
    assert latest_run(sqlite_url, slug)["outcome"] == "succeeded"


# --- every real variant of the answers, through the same spider ----------------------------------------
VARIED = "people_variants"  # one definition, rewritten per run: the signed lists, or queryThreadsList
PLAIN = {"last_item_field": True, "list_rows_max": 50, "content_time": "dateline", "data_type": True}
ALL_OFF = {"last_item_field": False, "list_rows_max": 10, "content_time": "createDateline", "data_type": False}
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {  # name: (replica variant, spider options)
    "without_last_item_field": ({"last_item_field": False}, {}),
    "signed_lists_capped_at_10_rows": ({"list_rows_max": 10}, {}),
    "query_threads_list_envelope": ({"last_item_field": False}, {"list_api": "form"}),
    "content_with_create_dateline": ({"content_time": "createDateline"}, {}),
    "content_without_data_type": ({"data_type": False}, {}),
    "all_of_them_at_once": (ALL_OFF, {}),
}
LIST_CALLS = ("/v1/threads/list/df", "/threads/queryThreadsList")


def list_calls(made: dict[str, int]) -> int:
    return sum(made.get(path, 0) for path in LIST_CALLS)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two boards of 45 messages (a full page of 30 rows and a short one of 15) harvested once per variant of the
    site's answers, each into a store of its own; then the plain variant's store harvested on incrementally while
    the site changes its answers under it (every variant at once, then the queryThreadsList lists)."""
    tmp = tmp_path_factory.mktemp("people_variants")
    seen: dict[str, Any] = {"runs": {}}
    with site(tmp, per_board=45) as urls:
        base = urls["people"]

        def run(name: str, replica: dict[str, Any], spider: dict[str, Any], **env: str) -> dict[str, Any]:
            folder = definition(tmp, VARIED, **spider)
            control(base, "people/variant", {**PLAIN, **replica})
            control(base, "stats/reset", {})
            db_url = f"sqlite:///{tmp / (name + '.db')}"
            config = write_config(tmp, db_url, {VARIED: base}, extra=f"platforms_dirs = [{str(folder)!r}]",
                                  overrides={VARIED: FAST})
            result = harvest(config, **env)
            assert result.returncode == 0, f"{name}: " + result.stderr[-3000:]
            return {"requests": requests_made(base), "run": latest_run(db_url, VARIED),
                    "stored": stored(db_url, VARIED), "cursors": cursors(db_url, VARIED)}

        seen["runs"]["plain"] = run("plain", {}, {})
        seen["truth"] = truth(base)
        for name, (replica, spider) in VARIANTS.items():
            seen["runs"][name] = run(name, replica, spider)
        moves = []
        for name, replica, spider in (("changed", ALL_OFF, {}), ("form_after", {}, {"list_api": "form"})):
            moves.append(control(base, "advance", {"steps": 2}))
            seen[name] = run("plain", replica, spider, HARVESTER_RECHECK_AFTER_HOURS="0")
            seen[name]["truth"] = truth(base)
        seen["moves"] = moves
        yield seen


def comparable(messages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: {k: v for k, v in m.items() if k not in VOLATILE} for key, m in messages.items()}


def test_the_plain_variant_reads_every_message_with_two_list_calls_per_board(variants: dict[str, Any]) -> None:
    plain = variants["runs"]["plain"]
    assert len(variants["truth"]) == 90
    assert_matches_truth(plain["stored"], variants["truth"])
    assert list_calls(plain["requests"]) == 4  # 30 + 15 per board: the short page ends it, no third call
    assert plain["cursors"] == newest_per_board(variants["truth"])


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_variant_is_harvested_into_identical_messages(variants: dict[str, Any], name: str) -> None:
    run, plain = variants["runs"][name], variants["runs"]["plain"]
    assert comparable(run["stored"]) == comparable(plain["stored"])
    assert (run["run"]["outcome"], run["run"]["new"], run["run"]["quarantined"]) == ("succeeded", 90, 0)
    assert run["cursors"] == plain["cursors"]
    assert run["requests"]["/v1/threads/content"] == 90


@pytest.mark.parametrize(("name", "calls"), [
    ("without_last_item_field", {"/v1/threads/list/df": 4}),  # no cursor field: the last tid and a short page
    ("signed_lists_capped_at_10_rows", {"/v1/threads/list/df": 10}),  # 10 of 30 is not the end: 10,10,10,10,5
    ("query_threads_list_envelope", {"/threads/queryThreadsList": 10}),  # ~10 rows whatever pageSize asks
])
def test_paging_goes_by_the_last_tid_and_stops_on_the_first_short_page(
        variants: dict[str, Any], name: str, calls: dict[str, int]) -> None:
    made = variants["runs"][name]["requests"]
    assert {path: made[path] for path in LIST_CALLS if path in made} == calls


@pytest.mark.parametrize(("step", "move"), [("changed", 0), ("form_after", 1)])
def test_incremental_runs_go_on_while_the_site_changes_its_answers(variants: dict[str, Any], step: str,
                                                                    move: int) -> None:
    after, new = variants[step], {str(tid) for tid in variants["moves"][move]["new"]}
    assert new and set(after["stored"]) == set(after["truth"])
    assert_matches_truth({t: after["stored"][t] for t in new}, {t: after["truth"][t] for t in new})
    assert after["cursors"] == newest_per_board(after["truth"])
    assert (after["run"]["outcome"], after["run"]["new"], after["run"]["quarantined"]) == ("succeeded", len(new), 0)
    assert list_calls(after["requests"]) == 2  # one page per board: the cursor and the look-back are on it


def test_a_site_changing_every_answer_at_once_loses_no_move_of_an_open_message(variants: dict[str, Any]) -> None:
    """The first incremental run re-reads every open message (none has been backed off yet): all of them read
    through answers without lastItem, capped at 10 rows, with createDateline and without dataType."""
    assert_matches_truth(variants["changed"]["stored"], variants["changed"]["truth"])
    assert variants["moves"][0]["assigned"] or variants["moves"][0]["replied"]


# --- messages published late, below the cursor ----------------------------------------------------
LATE = {"late_share": 0.4, "late_hours": 24}  # 40% of new messages approved 6-24 h after their tid was given
DEEP, BLIND = "people_deep", "people_blind"  # 3-row copies of people_demo, with and without the look-back


def created_events(db_url: str, platform: str) -> Counter[str]:
    with Store.open(db_url).transaction() as repo:
        return Counter(e["external_id"] for e in repo.events_since(0, limit=100_000)
                       if e["platform"] == platform and e["kind"] == "created")


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two boards of 60 messages where some new ones are held back for approval, harvested on one timeline by
    people_demo (30 rows, 72 h look-back) and by its 3-row copies DEEP (look-back) and BLIND (none): in full 12 h
    on, when held messages sit below newer listed tids (the cursors pass them); 24 h later, when those are
    published (every open message due); people_demo once more with nothing new. Site requests are counted for
    people_demo's incremental runs alone."""
    tmp = tmp_path_factory.mktemp("people_late")
    folder = definition(tmp, DEEP, rows=3)
    definition(tmp, BLIND, rows=3, publication_lag_hours=0)
    seen: dict[str, Any] = {}
    with site(tmp, per_board=60, **LATE) as urls:
        base, db_url = urls["people"], f"sqlite:///{tmp / 'harvester.db'}"
        config = write_config(tmp, db_url, {SLUG: base, DEEP: base, BLIND: base},
                              extra=f"platforms_dirs = [{str(folder)!r}]",
                              overrides={slug: FAST for slug in (SLUG, DEEP, BLIND)})

        def run(*slugs: str, **env: str) -> dict[str, int]:
            control(base, "stats/reset", {})
            result = harvest(config, *slugs, **env)
            assert result.returncode == 0, result.stderr[-3000:]
            return requests_made(base)

        control(base, "advance", {"steps": 3})
        run(SLUG, DEEP, BLIND)
        seen["before"] = {"truth": truth(base), "cursors": cursors(db_url), "stored": stored(db_url),
                          "due": due_count(stored(db_url).values())}
        seen["moved"] = control(base, "advance", {"steps": 6})
        run(DEEP, BLIND, HARVESTER_RECHECK_AFTER_HOURS="0")
        seen["requests"] = run(SLUG, HARVESTER_RECHECK_AFTER_HOURS="0")
        seen["after"] = {"truth": truth(base), "run": latest_run(db_url), "events": event_count(db_url),
                         "lists": {fid: [m["tid"] for m in control(base, f"people/messages?fid={fid}")
                                         if m["published"]] for fid in BOARDS},
                         **{slug: {"stored": stored(db_url, slug), "created": created_events(db_url, slug),
                                   "cursors": cursors(db_url, slug)} for slug in (SLUG, DEEP, BLIND)}}
        seen["quiet"] = {"requests": run(SLUG), "run": latest_run(db_url), "events": event_count(db_url)}
    before, after = seen["before"], seen["after"]
    seen["late"] = {tid for tid, m in before["truth"].items() if not m["published"]
                    and m["tid"] < before["cursors"][str(m["fid"])] and after["truth"][tid]["published"]}
    yield seen


def test_a_message_published_late_below_the_cursor_is_stored_once(late: dict[str, Any]) -> None:
    before, after, found = late["before"], late["after"], late["late"]
    assert found and set(map(int, found)) <= set(late["moved"]["published"])  # held at the cursor, listed now
    assert found.isdisjoint(before["stored"])
    demo = after[SLUG]
    assert_matches_truth(demo["stored"], listed(after["truth"]))
    assert {tid: demo["created"][tid] for tid in found} == dict.fromkeys(found, 1)
    assert max(demo["created"].values()) == 1
    assert demo["cursors"] == newest_per_board(listed(after["truth"]))


def test_the_look_back_within_the_first_page_keeps_each_run_to_one_list_call_per_board(
        late: dict[str, Any]) -> None:
    before, after, quiet = late["before"], late["after"], late["quiet"]
    newly_listed = set(listed(after["truth"])) - set(before["stored"])
    assert late["late"] <= newly_listed and after["run"]["new"] == len(newly_listed)
    assert late["requests"] == {"/threads/list": 1, "/v1/threads/list/df": 2,
                                "/v1/threads/content": before["due"] + len(newly_listed)}
    assert quiet["requests"] == {"/threads/list": 1, "/v1/threads/list/df": 2}  # <= 2 per board, nothing due
    assert (quiet["run"]["new"], quiet["run"]["changed"], quiet["events"]) == (0, 0, after["events"])


def test_without_the_look_back_a_late_message_past_the_first_page_is_missed(late: dict[str, Any]) -> None:
    after = late["after"]
    position = {str(tid): index for fid in BOARDS for index, tid in enumerate(after["lists"][fid])}
    deep_down = {tid for tid in late["late"] if position[tid] >= 3}  # below the 3-row copies' first page
    assert deep_down
    assert late["late"] <= set(after[DEEP]["stored"]) and max(after[DEEP]["created"].values()) == 1
    assert deep_down.isdisjoint(after[BLIND]["stored"])
    assert set(after[BLIND]["stored"]) | deep_down == set(listed(after["truth"]))
    assert after[DEEP]["cursors"] == after[BLIND]["cursors"] == after[SLUG]["cursors"]


# --- the browser path ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two boards of 8 messages, harvested through the API path: what the browser path must reproduce."""
    tmp = tmp_path_factory.mktemp("people_small")
    with site(tmp, per_board=8) as urls:
        db_url = f"sqlite:///{tmp / 'api.db'}"
        result = harvest(write_config(tmp, db_url, {SLUG: urls["people"]}, overrides={SLUG: FAST}))
        assert result.returncode == 0, result.stderr[-3000:]
        yield {"base": urls["people"], "tmp": tmp, "db_url": db_url}


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two boards of several hundred messages (ten list calls each at 30 rows), harvested through the API path:
    what the browser path must reproduce, page for page."""
    tmp = tmp_path_factory.mktemp("people_paged")
    with site(tmp, per_board=PAGED) as urls:
        db_url = f"sqlite:///{tmp / 'api.db'}"
        result = harvest(write_config(tmp, db_url, {SLUG: urls["people"]}, overrides={SLUG: FAST}))
        assert result.returncode == 0, result.stderr[-3000:]
        yield {"base": urls["people"], "tmp": tmp, "db_url": db_url}


PAGED = 300  # per board; about 100 s of Chromium on two cores
LIST_ROWS = 30


def same_site(messages: dict[str, dict[str, Any]], base: str) -> dict[str, dict[str, Any]]:
    """Messages as if harvested from `base` (their URLs name the host they were read from)."""
    return {k: {**m, "url": base + m["url"][m["url"].index("/threads/"):]} for k, m in messages.items()}


@pytest.mark.browser
def test_the_browser_path_stores_exactly_what_the_api_path_stores(paged: dict[str, Any], tmp_path: Path) -> None:
    base, db_url = paged["base"], f"sqlite:///{tmp_path / 'browser.db'}"
    control(base, "stats/reset", {})
    result = harvest(write_config(tmp_path, db_url, {SLUG: base}, overrides={SLUG: {**FAST, "fetch": "browser"}}),
                     timeout=600)  # 600 pages in Chromium: about 100 s alone, more beside another test worker
    made, site_truth = requests_made(base), truth(base)
    assert result.returncode == 0, result.stderr[-3000:]
    assert made["/threads/content"] == made["/v1/threads/content"] == 2 * PAGED  # each page made its own call
    list_pages = -(-PAGED // LIST_ROWS)
    assert "/threads/list" in made and made["/v1/threads/list/df"] >= 2 * list_pages  # paged by 查看更多
    assert normalised(db_url) == normalised(paged["db_url"])
    assert_matches_truth(stored(db_url), site_truth)
    assert cursors(db_url) == cursors(paged["db_url"]) == newest_per_board(site_truth)


def hybrid_definitions(tmp: Path) -> Path:
    """The built-in 领导留言板 definition as `people_hybrid` with `path = "hybrid"` (options are not overridable
    from the config file), in a definitions folder of its own."""
    folder = tmp / "definitions"
    folder.mkdir()
    text = (BUILTIN_DIR / f"{SLUG}.toml").read_text(encoding="utf-8")
    assert 'path = "api"' in text
    text = text.replace(f'slug = "{SLUG}"', 'slug = "people_hybrid"').replace('path = "api"', 'path = "hybrid"')
    (folder / "people_hybrid.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.browser
def test_the_hybrid_path_stores_exactly_what_the_api_path_stores_one_page_per_board(paged: dict[str, Any],
                                                                                    tmp_path: Path) -> None:
    base, db_url, slug = paged["base"], f"sqlite:///{tmp_path / 'hybrid.db'}", "people_hybrid"
    control(base, "stats/reset", {})
    config = write_config(tmp_path, db_url, {slug: base}, overrides={slug: FAST},
                          extra=f"platforms_dirs = [{json.dumps(str(hybrid_definitions(tmp_path)))}]")
    result = harvest(config, timeout=300)
    made, site_truth = requests_made(base), truth(base)
    assert result.returncode == 0, result.stderr[-3000:]
    assert made["/threads/list"] == 2 and "/threads/content" not in made  # one shell per board, none per message
    assert made["/v1/threads/content"] == 2 * PAGED  # every message read once, by the bundle's own signed call
    with Store.open(db_url).transaction() as repo:
        hybrid = {m["external_id"]: {k: v for k, v in m.items() if k not in VOLATILE | {"platform"}}
                  for m in repo.iter_messages(platform=slug)}
    api_path = {key: {k: v for k, v in m.items() if k != "platform"} for key, m in normalised(paged["db_url"]).items()}
    assert hybrid == api_path
    assert_matches_truth(stored(db_url, slug), site_truth)
    assert cursors(db_url, slug) == cursors(paged["db_url"]) == newest_per_board(site_truth)


class LoopbackProxy:
    """Stands in front of the replica on loopback: answers some requests itself (`intercept`) and may change the
    replica's answers on the way back (`rewrite`)."""

    HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "content-encoding"}

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.loop = asyncio.new_event_loop()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._running()).result(10)

    def _running(self) -> asyncio.AbstractEventLoop:
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        return self.loop

    async def _start(self) -> str:
        self.client = aiohttp.ClientSession()
        self.runner, url = await serve_locally(self._forward)
        return url

    def intercept(self, request: web.Request) -> web.Response | None:
        return None

    def rewrite(self, path: str, body: bytes) -> bytes:
        return body

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        own = self.intercept(request)
        if own is not None:
            return own
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self.HOP}
        async with self.client.request(request.method, self.upstream + request.path_qs, headers=headers,
                                       data=await request.read(), allow_redirects=False) as answer:
            body = self.rewrite(request.path, await answer.read())
            kept = CIMultiDict((k, v) for k, v in answer.headers.items() if k.lower() not in self.HOP)
            return web.Response(status=answer.status, body=body, headers=kept)

    def close(self) -> None:
        async def stop() -> None:
            await self.client.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


class BrowserOnlyProxy(LoopbackProxy):
    """Like a site that verifies more than the signature: API calls that do not come from a browser's fetch()
    (no Sec-Fetch-Mode header) get SN0006 whatever their appCode."""

    def __init__(self, upstream: str) -> None:
        self.refused, self.passed = 0, 0
        super().__init__(upstream)

    def intercept(self, request: web.Request) -> web.Response | None:
        if not request.path.startswith(("/v1/", "/v2/")):
            return None
        if "sec-fetch-mode" not in request.headers:
            self.refused += 1
            return web.json_response({"code": "SN0006", "msg": "数据格式错误"})
        self.passed += 1
        return None


class TimelessProxy(LoopbackProxy):
    """A site whose content answers stop giving the message's posting time under any name no variant knows."""

    def rewrite(self, path: str, body: bytes) -> bytes:
        if path != "/v1/threads/content":
            return body
        data = json.loads(body)
        for entry in data["resultData"]["contentList"]:
            if "subject" in entry:
                entry["postTime"] = entry.pop("dateline", None) or entry.pop("createDateline", None)
        return json.dumps(data, ensure_ascii=False).encode()


def test_a_content_answer_no_variant_explains_is_quarantined_and_stores_nothing(tmp_path: Path,
                                                                                sqlite_url: str) -> None:
    with site(tmp_path, per_board=4) as urls:
        proxy = TimelessProxy(urls["people"])
        try:
            result = harvest(write_config(tmp_path, sqlite_url, {SLUG: proxy.url}, overrides={SLUG: FAST}))
        finally:
            proxy.close()
    run = latest_run(sqlite_url)
    with Store.open(sqlite_url).transaction() as repo:
        quarantined = repo.quarantined(platform=SLUG)
    assert result.returncode == 1 and (run["outcome"], run["failure_class"]) == ("failed", "layout_changed")
    assert len(quarantined) == 8 and {q["reason"] for q in quarantined} == {
        "message: neither of the fields ['dateline', 'createDateline'] is there"}
    assert stored(sqlite_url) == {} and cursors(sqlite_url) == dict.fromkeys(BOARDS)  # nothing half-read


@pytest.mark.browser
def test_an_api_refusing_fresh_signatures_makes_the_harvest_go_on_in_the_browser(small: dict[str, Any],
                                                                                  tmp_path: Path) -> None:
    base, db_url = small["base"], f"sqlite:///{tmp_path / 'fallback.db'}"
    proxy = BrowserOnlyProxy(base)
    try:
        control(base, "stats/reset", {})
        result = harvest(write_config(tmp_path, db_url, {SLUG: proxy.url}, overrides={SLUG: FAST}))
        made, site_truth = requests_made(base), truth(base)
    finally:
        proxy.close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "going on in the browser" in result.stderr
    assert proxy.refused >= 2 and proxy.passed >= 2 + len(site_truth)  # refused twice, then the pages' calls
    assert made["/threads/list"] >= 2 + 2  # the API path's warm-up and re-read, then the browser's list pages
    assert same_site(normalised(db_url), base) == normalised(small["db_url"])
    assert cursors(db_url) == newest_per_board(site_truth)
