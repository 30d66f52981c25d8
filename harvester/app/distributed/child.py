"""A harvest task's child process: `run_harvest` (what `harvester harvest` runs) over whole platforms, or one
board shard's harvest (`<slug>#2/4`, shardrun.py), in a process of its own (forked by childstart.py, its
modules imported once per worker process), so each task gets a fresh Twisted reactor; writes each target's
outcome (run id, or why there is none: busy, or harvested since ENQUEUED_AT, asked under the target's lock) as
JSON.

Usage: python -m harvester.app.distributed.child OUTCOMES_JSON ENQUEUED_AT TARGET...
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from harvester.app.distributed.shardrun import run_shard
from harvester.app.distributed.shards import parse_target
from harvester.app.harvest import run_harvest
from harvester.config import load_config


def harvest(targets: list[str], enqueued_at: datetime) -> list[dict[str, Any]]:
    """Whole platforms crawled together, or one shard alone (a shard is a task of its own); each outcome as
    JSON-ready data."""
    shards = [shard for target in targets if (shard := parse_target(target)[1]) is not None]
    if not shards:
        return [asdict(outcome) for outcome in run_harvest(load_config(), targets, enqueued_at)]
    if len(targets) > 1:
        raise SystemExit(f"a board shard is harvested alone, not with {len(targets) - 1} other target(s)")
    return [asdict(run_shard(load_config(), shards[0], enqueued_at))]


def main(argv: list[str]) -> int:
    out, enqueued_at, targets = Path(argv[0]), datetime.fromisoformat(argv[1]), argv[2:]
    outcomes = harvest(targets, enqueued_at)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(outcomes, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
