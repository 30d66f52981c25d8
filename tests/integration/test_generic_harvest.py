"""The mailbox replicas harvested through the generic spider from their definition files alone.

One replica process serves them all (and the jact replica); `harvester harvest` processes write a real SQLite store, compared with
each replica's ground truth: first the full harvest, then a rerun over unchanged sites, then the changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.schema import Message
from harvester.store.db import Store
from harvester.timeutil import utcnow
from harvester.vocab import Status
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

SITES = {"dalian": "dalian_szxx", "changsha": "changsha_szxx", "tianjin": "tianjin_zmljl",
         "hanweb_proxy": "hanweb_szxx", "beijing12345": "beijing_12345", "trs": "trs_xjgk"}
LETTERS = 40
DALIAN_PAGE = 20  # Dalian lists every letter, public or not; with 40 letters page 1 then holds a private one
DALIAN_SHARED = 6  # about every 6th letter takes the number of the same-day letter before it (seed 7: one pair
# among the first 40, and one stored letter whose number a new letter takes after six steps)
DALIAN_PINNED = 10  # every 10th letter made by a later-started server: it stays on top of the gdId-ordered list
TIANJIN_BOARDS = ("1001000000000000", "1002000000000000")  # two deptIds, one list each
TRS_PAGE = 10  # fewer than the public letters six steps add: the stored ones are pushed off index.html
SCORES = {"满意": 5, "基本满意": 3, "不满意": 1}
JACT_PAIR = ("jact_demo", "jact_generic")  # the jact replica by its code spider and by a definition file
DERIVED_STATUS = {"changsha", "beijing12345"}  # these sites show no status: answered or not is what they show


@dataclass
class Round:
    returncode: int
    output: str
    stored: dict[str, dict[str, dict[str, Any]]]
    truth: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]]
    runs: dict[str, dict[str, Any]]
    requests: dict[str, int]
    paths: dict[str, dict[str, int]]  # requests per path since the last stats reset


def snapshot(db_url: str, urls: dict[str, str], result: Any) -> Round:
    slugs = [*SITES.values(), *JACT_PAIR]
    with Store.open(db_url).transaction() as repo:
        stored = {slug: {m["external_id"]: m for m in repo.iter_messages(platform=slug)} for slug in slugs}
        events = repo.events_since(0, limit=100_000)
        runs = {slug: repo.latest_runs(limit=1, platform=slug)[0] for slug in slugs}
    stats = {name: control(urls[name], "stats") for name in SITES}
    return Round(result.returncode, result.stdout + result.stderr, stored,
                 {name: control(urls[name], f"{name}/letters") for name in SITES}, events, runs,
                 {name: stats[name]["total"] for name in SITES}, {name: stats[name]["requests"] for name in SITES})


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("mailboxes"), [*SITES, "jact"],
                         options={**{name: {"letters": LETTERS} for name in [*SITES, "jact"]},
                                  "dalian": {"letters": LETTERS, "per_page": DALIAN_PAGE,
                                             "shared_every": DALIAN_SHARED, "pinned_every": DALIAN_PINNED},
                                  "trs": {"letters": LETTERS, "per_page": TRS_PAGE}}) as urls:
        yield urls


@pytest.fixture(scope="module")
def rounds(replicas: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """First harvest (the mailbox sites, plus the jact replica by its code spider and by harvester/platforms/jact_generic.toml); a rerun
    over unchanged sites; then six 4-hour steps on every mailbox site and a harvest."""
    tmp = tmp_path_factory.mktemp("generic")
    db_url = f"sqlite:///{tmp / 'generic.db'}"
    sites = {slug: replicas[name] for name, slug in SITES.items()}
    config = write_config(tmp, db_url, {**sites, **{slug: replicas["jact"] for slug in JACT_PAIR}})
    found: dict[str, Any] = {"db_url": db_url, "first": snapshot(db_url, replicas, harvest(config))}
    found["planted"] = plant_private_letter(db_url, replicas["dalian"], found["first"].truth["dalian"])
    for name in SITES:
        control(replicas[name], "stats/reset", {})
    found["rerun"] = snapshot(db_url, replicas, harvest(config))
    found["moved"] = {name: control(replicas[name], "advance", {"steps": 6}) for name in SITES}
    found["after"] = snapshot(db_url, replicas, harvest(config, HARVESTER_RECHECK_AFTER_HOURS="0"))
    return found


def plant_private_letter(db_url: str, base_url: str, truth: list[dict[str, Any]]) -> str:
    """Store a Dalian letter that list page 1 shows as not public, as if an earlier harvest had seen it public."""
    letter = next(x for x in truth[:DALIAN_PAGE] if not x["public"])
    message = Message(platform="dalian_szxx", external_id=letter["id"], board_id="gzjl", addressee="市长信箱",
                      url=f"{base_url}/fgw/gzjl/detail.jspx?gdId={letter['id']}", title=letter["title"],
                      body=letter["body"], status=Status.PENDING, status_raw="待处理", fetched_at=utcnow(),
                      posted_at=datetime.fromisoformat(letter["posted_at"]), letter_no=letter["letter_no"])
    with Store.open(db_url).transaction() as repo:
        run_id = repo.start_run("dalian_szxx", os.getpid())
        repo.upsert_messages([message], run_id, utcnow())
        repo.finish_run(run_id, "succeeded", {})
    return str(letter["id"])


def visible(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: message for key, message in stored.items() if message["status"] != "hidden"}


def assert_site_matches_truth(name: str, stored: dict[str, dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    """Every public letter stored with every canonical field the site shows, and nothing else."""
    public = {letter["id"]: letter for letter in truth if letter["public"]}
    assert set(stored) == set(public), name
    for letter_id, letter in public.items():
        message, reply = stored[letter_id], letter["reply"]
        assert (message["title"], message["body"]) == (letter["title"], letter["body"]), letter_id
        assert message["posted_at"] == datetime.fromisoformat(letter["posted_at"])
        assert message["kind_raw"] == letter["kind"]
        assert [(r["text"], r["organisation"], r["replied_at"]) for r in message["replies"]] == \
            ([(reply["text"], reply["unit"], datetime.fromisoformat(reply["replied_at"]))] if reply else [])
        if name in DERIVED_STATUS:
            assert message["status"] == ("replied" if reply else "in_progress"), letter_id
        else:
            assert message["status_raw"] == letter["status"], letter_id
        assert message["author"] == (None if name == "dalian" else letter["author"])  # Dalian shows no author
        if name in ("dalian", "beijing12345", "trs"):
            assert message["letter_no"] == letter["letter_no"]
        if name in ("dalian", "hanweb_proxy", "trs"):  # the sites that show the unit handling an open letter
            assert message["handling_unit"] == (letter["unit"] or None), letter_id
        if name == "tianjin":
            assert message["region"] == letter["district"]
            assert message["overdue"] == letter["overdue"], letter_id  # 是否超时: 是 / 否, unset until answered
            assert [r["title"] for r in message["replies"]] == ([letter["reply_title"]] if reply else [])
        else:
            assert message["overdue"] is None  # no other replica shows a verdict of its own
        if name in ("changsha", "trs"):  # the grade of a closed letter (未评价 when none was given)
            assert message["satisfaction"] == ({"overall": SCORES[letter["satisfaction"]]}
                                               if letter["satisfaction"] else {})
        if name == "changsha":
            assert message["views"] == letter["views"]
        if name == "beijing12345":
            assert message["likes"] == letter["likes"]


@pytest.mark.parametrize("name", list(SITES))
def test_the_first_harvest_stores_every_public_letter_as_the_site_shows_it(rounds: dict[str, Any],
                                                                           name: str) -> None:
    first: Round = rounds["first"]
    assert first.returncode == 0, first.output
    assert_site_matches_truth(name, visible(first.stored[SITES[name]]), first.truth[name])
    run = first.runs[SITES[name]]
    private = sum(not letter["public"] for letter in first.truth[name])
    listed_private = private if name in ("dalian", "changsha") else 0  # the others never list them
    assert (run["outcome"], run["new"], run["skipped"]) == ("succeeded", LETTERS - private, listed_private)


def dalian_window_pages(truth: list[dict[str, Any]]) -> int:
    """List pages Dalian's look-back reads: until a page's oldest public letter is posted more than 45 days before
    the newest (dates as the letter numbers give them)."""
    newest = None
    for page in range(1, -(-len(truth) // DALIAN_PAGE) + 1):
        days = [date.fromisoformat(x["posted_at"][:10]) for x in truth[(page - 1) * DALIAN_PAGE:page * DALIAN_PAGE]
                if x["public"]]
        newest = max([*days, *([newest] if newest else [])])
        if min(days) < newest - timedelta(days=45):
            return page
    return page


def test_a_rerun_over_unchanged_sites_reads_one_list_page_each_and_changes_nothing(rounds: dict[str, Any]) -> None:
    first, rerun = rounds["first"], rounds["rerun"]
    assert rerun.returncode == 0, rerun.output
    # Page 1 of each board reaches the cursor (Tianjin has two); Dalian reads back 45 days (lookback_days, for
    # letters listed late); open letters are not due yet.
    window = dalian_window_pages(first.truth["dalian"])
    assert window > 1 and rerun.requests == {**{name: 1 for name in SITES}, "tianjin": len(TIANJIN_BOARDS),
                                             "dalian": window}
    # The only change: the planted letter, listed as not public on Dalian, is withdrawn (found by its number).
    later = [(e["platform"], e["external_id"], e["kind"]) for e in rerun.events[len(first.events):]]
    assert later == [("dalian_szxx", rounds["planted"], "created"), ("dalian_szxx", rounds["planted"], "hidden")]
    assert rerun.stored["dalian_szxx"][rounds["planted"]]["status"] == "hidden"
    assert all((run["new"], run["changed"]) == (0, 0) for run in rerun.runs.values())


@pytest.mark.parametrize("name", list(SITES))
def test_changes_on_the_sites_are_harvested_incrementally(rounds: dict[str, Any], name: str) -> None:
    """New letters are created, answered ones gain their reply and status (re-checked by detail page, or for
    Tianjin through the list), and the store matches the site again."""
    after, before = rounds["after"], rounds["rerun"]
    assert after.returncode == 0, after.output
    assert_site_matches_truth(name, visible(after.stored[SITES[name]]), after.truth[name])
    slug, moved = SITES[name], rounds["moved"][name]
    public = {letter["id"] for letter in after.truth[name] if letter["public"]}
    new_events = [e for e in after.events[len(before.events):] if e["platform"] == slug]
    assert {e["external_id"] for e in new_events if e["kind"] == "created"} == set(moved["new"]) & public
    replied_before = set(moved["replied"]) & set(before.stored[slug])
    assert replied_before and replied_before <= {e["external_id"] for e in new_events if e["kind"] == "reply_added"}


def test_the_board_cursor_is_the_newest_letter_in_the_site_order(rounds: dict[str, Any]) -> None:
    after: Round = rounds["after"]
    newest = {name: next(x for x in after.truth[name] if x["public"]) for name in SITES}
    boards = {"dalian": "gzjl", "changsha": "1", "hanweb_proxy": "1229", "beijing12345": "complain", "trs": "3187"}
    with Store.open(rounds["db_url"]).transaction() as repo:
        cursors = {name: repo.get_cursor(SITES[name], board) for name, board in boards.items()}
        tianjin = [repo.get_cursor("tianjin_zmljl", board) for board in TIANJIN_BOARDS]
    # Dalian's cursor is the letter number, then the gdId (two letters may share a number); the others' ids grow.
    dalian = max((x for x in after.truth["dalian"] if x["public"]), key=lambda x: (x["letter_no"], x["id"]))
    assert cursors == {**{name: newest[name]["id"] for name in boards}, "dalian": f"{dalian['letter_no']}|{dalian['id']}"}
    assert tianjin == [next(x["id"] for x in after.truth["tianjin"] if x["public"] and x["dept"] == board)
                       for board in TIANJIN_BOARDS]


def test_dalian_letters_sharing_a_number_are_all_stored_and_the_harvest_still_stops_at_its_cursor(
        rounds: dict[str, Any]) -> None:
    """大连 gave two different letters one number (G20180321-0036, twice in 3,773 real letters). Both are stored,
    a new letter taking the number of a stored one is created, a twin listed as not public does not hide the
    public one, and the rerun still stops where its window ends."""
    first, rerun, after = rounds["first"], rounds["rerun"], rounds["after"]

    def shared(truth: list[dict[str, Any]]) -> dict[str, set[str]]:
        by_number: dict[str, set[str]] = {}
        for letter in truth:
            if letter["public"]:
                by_number.setdefault(letter["letter_no"], set()).add(letter["id"])
        return {number: ids for number, ids in by_number.items() if len(ids) > 1}

    before, later = shared(first.truth["dalian"]), shared(after.truth["dalian"])
    assert before and all(ids <= set(first.stored["dalian_szxx"]) for ids in before.values())
    taken = {n: ids for n, ids in later.items() if ids & set(first.stored["dalian_szxx"]) and n not in before}
    assert taken, "precondition: a new letter takes the number of a stored one"
    created = {e["external_id"] for e in after.events[len(rerun.events):]
               if e["platform"] == "dalian_szxx" and e["kind"] == "created"}
    for ids in taken.values():
        assert ids <= set(after.stored["dalian_szxx"]) and ids - set(first.stored["dalian_szxx"]) <= created
    public_numbers = {x["letter_no"] for x in after.truth["dalian"] if x["public"]}
    private_twins = {x["letter_no"] for x in after.truth["dalian"] if not x["public"]} & public_numbers
    assert private_twins, "precondition: a number shared by a public and a non-public letter"
    for letter in after.truth["dalian"]:
        if letter["public"] and letter["letter_no"] in private_twins:
            assert after.stored["dalian_szxx"][letter["id"]]["status"] != "hidden", letter["letter_no"]
    assert rerun.requests["dalian"] == dalian_window_pages(first.truth["dalian"])


def test_trs_list_pages_follow_the_page_count_in_the_script_and_regenerated_pages(rounds: dict[str, Any],
                                                                                 replicas: dict[str, str]) -> None:
    """TRS: index.html, then index_1.html … up to the count in createPageHTML (there are no pager links without
    a browser); articles stored at the list-relative link resolved; after new letters pushed the stored ones
    down, the incremental harvest goes on to index_1.html only as far as its cursor needs."""
    first, after = rounds["first"], rounds["after"]
    column = "/col/col3187/"
    public = [x for x in first.truth["trs"] if x["public"]]
    pages = -(-len(public) // TRS_PAGE)
    assert pages == 4 and sorted(p for p in first.paths["trs"] if "/index" in p) == \
        [column + "index.html"] + [f"{column}index_{n}.html" for n in range(1, pages)]
    stored = first.stored["trs_xjgk"]
    assert {i: m["url"] for i, m in stored.items()} == {x["id"]: replicas["trs"] + x["detail_path"] for x in public}
    new = [i for i in rounds["moved"]["trs"]["new"] if i in {x["id"] for x in after.truth["trs"] if x["public"]}]
    # More new letters than index.html holds, fewer than two pages: the stored ones now start on index_1.html,
    # which the harvest reads to reach its cursor (index.html twice: the rerun and this harvest).
    assert TRS_PAGE <= len(new) < 2 * TRS_PAGE
    later_lists = {p: n for p, n in after.paths["trs"].items() if "/index" in p}
    assert later_lists == {column + "index.html": 2, column + "index_1.html": 1}


def test_the_jact_mailbox_as_a_definition_stores_exactly_what_the_jact_spider_stores(rounds: dict[str, Any]) -> None:
    first: Round = rounds["first"]
    assert first.runs["jact_demo"]["outcome"] == first.runs["jact_generic"]["outcome"] == "succeeded"
    by_code, by_definition = first.stored["jact_demo"], first.stored["jact_generic"]
    assert by_code and set(by_code) == set(by_definition)
    same = ("content_hash", "url", "views", "status", "letter_no", "satisfaction", "attachments", "handling_unit")
    assert {i: [m[k] for k in same] for i, m in by_definition.items()} == \
        {i: [m[k] for k in same] for i, m in by_code.items()}
    assert first.runs["jact_generic"]["skipped"] == first.runs["jact_demo"]["skipped"] > 0  # [不公开] rows


def test_a_board_allowed_to_be_empty_is_a_success_that_says_so(replicas: dict[str, str], tmp_path: Path,
                                                              sqlite_url: str) -> None:
    """A column nobody has written to yet (长沙 cflag=9 lists no letters): with `may_be_empty` the run
    succeeds and its class says why it found nothing; without it, the empty list is a layout change."""
    source = (BUILTIN_DIR / "changsha_szxx.toml").read_text(encoding="utf-8")
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    for slug, extra in (("changsha_quiet", "may_be_empty = true\n"), ("changsha_strict", "")):
        text = source.replace('slug = "changsha_szxx"', f'slug = "{slug}"').replace('id = "1" ', 'id = "9" ')
        (platforms / f"{slug}.toml").write_text(text.replace("[options.list]\n", "[options.list]\n" + extra),
                                                encoding="utf-8")
    config = write_config(tmp_path, sqlite_url, {slug: replicas["changsha"] for slug in ("changsha_quiet",
                                                                                          "changsha_strict")},
                          extra=f'platforms_dirs = ["{platforms}"]')
    harvest(config)
    with Store.open(sqlite_url).transaction() as repo:
        quiet = repo.latest_runs(limit=1, platform="changsha_quiet")[0]
        strict = repo.latest_runs(limit=1, platform="changsha_strict")[0]
    assert (quiet["outcome"], quiet["failure_class"], quiet["items"]) == ("succeeded", "empty_by_design", 0)
    assert (strict["outcome"], strict["failure_class"]) == ("failed", "layout_changed")


def test_a_layout_change_quarantines_the_pages_naming_the_field(replicas: dict[str, str], tmp_path: Path,
                                                                sqlite_url: str) -> None:
    """The site renamed 信件标题: every detail is quarantined with the reason, and the run fails as a layout
    change (exit 1) instead of storing letters without titles."""
    changed = (BUILTIN_DIR / "hanweb_szxx.toml").read_text(encoding="utf-8").replace(
        'slug = "hanweb_szxx"', 'slug = "hanweb_changed"').replace('title = "label:信件标题"',
                                                                    'title = "label:信件主题"')
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    (platforms / "hanweb_changed.toml").write_text(changed, encoding="utf-8")
    config = write_config(tmp_path, sqlite_url, {"hanweb_changed": replicas["hanweb_proxy"]},
                          extra=f'platforms_dirs = ["{platforms}"]')
    result = harvest(config)
    assert result.returncode == 1, result.stdout + result.stderr
    with Store.open(sqlite_url).transaction() as repo:
        run = repo.latest_runs(limit=1, platform="hanweb_changed")[0]
        quarantined = repo.quarantined(platform="hanweb_changed", limit=1000)
        stored = list(repo.iter_messages(platform="hanweb_changed"))
    assert (run["outcome"], run["failure_class"], stored) == ("failed", "layout_changed", [])
    assert quarantined and all("title: label '信件主题' not found" in q["reason"] for q in quarantined)
    assert "xxgk_table" in quarantined[0]["body"].decode("utf-8")


def test_dalian_new_letters_below_the_pinned_ones_are_read_on_the_next_page(rounds: dict[str, Any]) -> None:
    """大连 lists by gdId: letters a later-started server made stay on top with their old numbers, so list page 1
    reaches the cursor although the new letters under them run on to page 2 (the 2019 list: G20181106-0026
    above letters up to 2018-11-21). The harvest reads page 2 and stores them (without the look-back window too:
    a page ending with an unknown letter is read past; tests/unit/test_definition_scan.py)."""
    after, moved = rounds["after"], rounds["moved"]["dalian"]
    listed = after.truth["dalian"]
    top = listed[:DALIAN_PAGE]
    pinned = [n for n, x in enumerate(top) if x["pinned"] and x["id"] not in moved["new"]]
    assert pinned and max(pinned) < min(n for n, x in enumerate(top) if not x["pinned"])  # stored ones on top
    spilled = {x["id"] for x in listed[DALIAN_PAGE:] if x["public"]} & set(moved["new"])
    assert spilled, "precondition: new letters pushed on to page 2"
    assert spilled <= set(after.stored["dalian_szxx"])
