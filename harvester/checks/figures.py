"""Per-run figures the run table has no column for (HTTP statuses, timeouts, soft blocks, rows listed), as files.

The harvest writes them when a spider closes; the checks read them. They live under the state directory, one
folder per database (a fingerprint of its URL) and platform, one JSON file per run id, newest KEEP kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

KEEP = 200
_PREFIXES = ("downloader/response_status_count/", "downloader/exception_type_count/", "harvester/")
_KEYS = ("downloader/request_count", "downloader/response_count", "downloader/exception_count", "retry/count",
         "retry/max_reached")

LISTED = "harvester/listed"  # rows the list pages showed (public or not)
SOFT_BLOCKED = "harvester/soft_blocked"  # pages recognised as challenge, captcha, login or error pages


def select(stats: Mapping[str, Any]) -> dict[str, int]:
    """The integer stats worth keeping: status and exception counts, retries, and the harvester's own."""
    return {key: int(value) for key, value in stats.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
            and (key in _KEYS or key.startswith(_PREFIXES))}


def folder(state_dir: Path, db_url: str, platform: str) -> Path:
    fingerprint = hashlib.sha256(db_url.encode("utf-8")).hexdigest()[:12]
    return state_dir / "figures" / fingerprint / platform


def write_figures(state_dir: Path, db_url: str, platform: str, run_id: int, stats: Mapping[str, Any]) -> None:
    """Keep a run's figures (atomically); older files beyond KEEP are removed. Never raises: logs instead."""
    try:
        where = folder(state_dir, db_url, platform)
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"run_id": run_id, "platform": platform, "stats": select(stats)}, handle, sort_keys=True)
        os.replace(tmp, where / f"{run_id}.json")
        for old in sorted(where.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0)[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("%s: run %s figures not kept in %s: %s", platform, run_id, state_dir, error)


def read_figures(state_dir: Path, db_url: str, platform: str, run_id: int) -> dict[str, int] | None:
    """A run's figures, or None when none were kept (an older harvester, another host, a crash)."""
    path = folder(state_dir, db_url, platform) / f"{run_id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("run_id") != run_id or not isinstance(data.get("stats"), dict):
        return None
    return {str(k): int(v) for k, v in data["stats"].items()}


def with_prefix(figures: Mapping[str, int], prefix: str) -> dict[str, int]:
    """The figures under `prefix`, keyed by the rest of their name."""
    return {key[len(prefix):]: value for key, value in figures.items() if key.startswith(prefix)}
