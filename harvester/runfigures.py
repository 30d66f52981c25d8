"""Per-run figures the run table has no column of their own for (HTTP statuses, timeouts, soft blocks, rows
listed): which Scrapy stats are kept, and how the checks read them.

The store pipeline records them in the run's `figures` column when the run finishes; the checks read them
from there, so they can run on any host that reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PREFIXES = ("downloader/response_status_count/", "downloader/exception_type_count/", "harvester/")
_KEYS = ("downloader/request_count", "downloader/response_count", "downloader/exception_count", "retry/count",
         "retry/max_reached")

LISTED = "harvester/listed"  # rows the list pages showed (public or not)
SOFT_BLOCKED = "harvester/soft_blocked"  # pages recognised as challenge, captcha, login or error pages


def figures_from_stats(stats: Mapping[str, Any]) -> dict[str, int]:
    """The integer stats worth keeping: status and exception counts, retries, and the harvester's own."""
    return {key: int(value) for key, value in stats.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
            and (key in _KEYS or key.startswith(_PREFIXES))}


def with_prefix(figures: Mapping[str, int], prefix: str) -> dict[str, int]:
    """The figures under `prefix`, keyed by the rest of their name."""
    return {key[len(prefix):]: value for key, value in figures.items() if key.startswith(prefix)}
