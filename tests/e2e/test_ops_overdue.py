"""`harvester overdue`: the 督办 report alone, letter by letter, never a failure of the harvester."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from harvester.store.db import Store
from harvester.timeutil import SHANGHAI
from harvester.vocab import Kind
from tests.harvesting import cli, write_config
from tests.store.builders import letter

POSTED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday; a consultation is due 5 working days later
AT = "2026-03-20T10:00"


def test_overdue_lists_each_late_letter_by_unit_and_exits_0(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'late.db'}"
    config = write_config(tmp_path, db_url, {"jact_demo": "http://127.0.0.1:9"}, extra='state_dir = "state"\n')
    with Store.open(db_url) as store, store.transaction() as repo:
        run_id = repo.start_run("jact_demo", 1)
        repo.upsert_messages([letter("48123", posted_at=POSTED, kind=Kind.CONSULT, kind_raw="咨询",
                                     handling_unit="市住建局"),
                              letter("48200", posted_at=datetime(2026, 3, 19, 9, 0, tzinfo=SHANGHAI),
                                     kind=Kind.CONSULT, kind_raw="咨询")], run_id, POSTED)
    shown = cli(config, "overdue", "--at", AT)
    assert shown.returncode == 0, shown.stderr  # the store was never harvested successfully: not its business
    row = next(line for line in shown.stdout.splitlines() if "48123" in line)
    assert "市住建局" in row and "2026-03-09" in row and "consult" in row
    assert "48200" not in shown.stdout  # still within its deadline
    report = json.loads(cli(config, "overdue", "--json", "-p", "jact_demo", "--at", AT).stdout)
    assert report["count"] == 1 and report["platforms"][0]["figures"]["by_unit"] == {"市住建局": 1}
    assert cli(config, "check", "--at", AT).returncode == 1  # the health check, by contrast, fails: never harvested
