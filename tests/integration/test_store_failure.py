"""A store that refuses a write mid-crawl: the crawl stops, the run is failed (class `store`), no cursor passes
an unstored letter, nothing personal is logged, and the rerun after the store recovers is exact."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import control, replica_process

INJECTED = "disk I/O error (injected by the test)"
BOARD = "6"  # the mailbox column of jact_demo.toml


def refuse_inserts_of(db_file: Path, external_id: str) -> None:
    """A real failure inside the store's transaction: SQLite aborts the insert of one letter."""
    with sqlite3.connect(db_file) as connection:
        connection.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.external_id = '{external_id}' "
                           f"BEGIN SELECT RAISE(ABORT, '{INJECTED}'); END")


def test_a_failed_write_stops_the_run_loudly_and_the_rerun_stores_every_letter_once(tmp_path: Path) -> None:
    db_file = tmp_path / "store.db"
    db_url = f"sqlite:///{db_file}"
    Store.open(db_url).close()  # migrated, so the trigger has its table
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 60}}) as urls:
        truth = sorted((x for x in control(urls["jact"], "jact/letters") if x["public"]), key=lambda x: -x["id"])
        refused = truth[3]  # among the first letters read: the failure comes mid-crawl, not at the end
        refuse_inserts_of(db_file, str(refused["id"]))
        config = write_config(tmp_path, db_url, {"jact_demo": urls["jact"]})
        failed = harvest(config, HARVESTER_BATCH_SIZE="5")
        with Store.open(db_url) as store, store.transaction() as repo:
            [run] = repo.latest_runs(limit=1, platform="jact_demo")
            first_stored = {m["external_id"] for m in repo.iter_messages(platform="jact_demo")}
            cursor = repo.get_cursor("jact_demo", BOARD)
        with sqlite3.connect(db_file) as connection:
            connection.execute("DROP TRIGGER refuse")
        rerun = harvest(config, HARVESTER_BATCH_SIZE="5")

    output = failed.stdout + failed.stderr
    assert failed.returncode == 1
    assert (run["outcome"], run["failure_class"]) == ("failed", "store") and INJECTED in run["error"]
    assert str(refused["id"]) not in first_stored and len(first_stored) < len(truth)  # stopped early
    # The crawl stopped before the board's list and details were all handled: its cursor must not move (a cursor
    # committed then would pass letters the store does not have, and the rerun would never read them).
    assert cursor is None
    assert refused["title"] not in output and refused["body"][:20] not in output  # no SQL parameters logged

    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    with Store.open(db_url) as store, store.transaction() as repo:
        stored = [m["external_id"] for m in repo.iter_messages(platform="jact_demo")]
        cursor = repo.get_cursor("jact_demo", BOARD)
        created = Counter(e["external_id"] for e in repo.events_since(0, limit=100_000) if e["kind"] == "created")
    assert sorted(stored) == sorted(str(x["id"]) for x in truth)
    assert set(created.values()) == {1}
    assert cursor == str(truth[0]["id"])  # the rerun read the board through: its cursor is the newest letter
