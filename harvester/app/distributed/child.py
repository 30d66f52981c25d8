"""A harvest task's child process: `run_harvest` (what `harvester harvest` runs) in a fresh process, so each task
gets a fresh Twisted reactor; writes each platform's outcome (run id, or why it was refused) as JSON.

Usage: python -m harvester.app.distributed.child OUTCOMES_JSON SLUG...
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from harvester.app.harvest import run_harvest
from harvester.config import load_config


def main(argv: list[str]) -> int:
    out, slugs = Path(argv[0]), argv[1:]
    outcomes = run_harvest(load_config(), slugs)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(o) for o in outcomes], ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
