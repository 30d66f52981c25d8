"""Copies across platforms linked by a harvest with the default settings (`link_copies` is on unless switched off):
the two builds of the jact replica (same seed) publish the same letters, as a citizen posting one letter to two
mailboxes would."""

from __future__ import annotations

from pathlib import Path

from harvester.store.db import Store
from tests.harvesting import harvest, write_config
from tests.replicahost import replica_process


def test_every_letter_is_linked_with_its_copy_on_the_other_mailbox(tmp_path: Path, sqlite_url: str) -> None:
    with replica_process(tmp_path, ["jact", "jact_gbk"], options={"jact": {"letters": 30},
                                                                  "jact_gbk": {"letters": 30}}) as urls:
        config = write_config(tmp_path, sqlite_url, {"jact_demo": urls["jact"], "jact_demo_gbk": urls["jact_gbk"]})
        result = harvest(config)
        assert result.returncode == 0, result.stdout + result.stderr
        seq_before_rerun = events_count(sqlite_url)
        assert harvest(config).returncode == 0
        assert events_count(sqlite_url) == seq_before_rerun  # a rerun links nothing again
    with Store.open(sqlite_url).transaction() as repo:
        stored = {(m["platform"], m["external_id"]): m for m in repo.iter_messages()}
        events = repo.events_since(0, limit=100_000)
    utf8 = {eid: m for (platform, eid), m in stored.items() if platform == "jact_demo"}
    assert utf8 and all(("jact_demo_gbk", eid) in stored for eid in utf8)
    for eid, message in utf8.items():
        assert message["link_group"] is not None
        assert message["link_group"] == stored[("jact_demo_gbk", eid)]["link_group"], eid
    linked = {(e["platform"], e["external_id"]) for e in events
              if e["kind"] == "updated" and e["payload"].get("fields") == ["link_group"]}
    assert linked == set(stored)  # every member got its event


def events_count(db_url: str) -> int:
    with Store.open(db_url).transaction() as repo:
        return len(repo.events_since(0, limit=100_000))
