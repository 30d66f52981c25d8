"""How a crawl ended, in the run table's terms: outcome, failure class, reason, and counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COUNT_KEYS = ("requests", "items", "new", "changed", "unchanged", "quarantined", "withdrawn", "skipped")
STAT_PREFIX = "harvester/"
# A run whose quarantined pages reach this share of its parsed messages has not harvested the platform:
# most likely the layout changed. One odd page among many is reported (quarantine) but does not fail the run.
QUARANTINE_SHARE = 0.25
# Stat a spider counts for a list page that showed nothing on a board whose definition allows it (may_be_empty).
EMPTY_BY_DESIGN = "empty_by_design"


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """A request that failed for good (after retries): what, and which class of failure."""

    url: str
    failure_class: str  # network | blocked | auth_expired | layout_changed | http_error (runs: also store,
    # definition, interrupted, crashed, mixed; and empty_by_design on a succeeded run that found nothing, as allowed)
    detail: str


@dataclass(slots=True)
class RunVerdict:
    outcome: str  # succeeded | failed
    failure_class: str | None = None
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def counts_from_stats(stats: Mapping[str, Any]) -> dict[str, int]:
    """The run table's counters from Scrapy stats (ours live under `harvester/`)."""
    counts = {key: int(stats.get(STAT_PREFIX + key, 0)) for key in COUNT_KEYS}
    counts["requests"] = int(stats.get("downloader/request_count", 0))
    return counts


def verdict(reason: str, failures: list[FetchFailure], stats: Mapping[str, Any]) -> RunVerdict:
    """Succeeded only when the crawl finished, nothing failed for good and no callback raised."""
    counts = counts_from_stats(stats)
    # Callback exceptions of this crawler only: log_count/ERROR counts every crawler's errors in the process.
    errors = sum(int(v) for k, v in stats.items() if k.startswith("spider_exceptions/"))
    if reason != "finished":
        return RunVerdict("failed", "interrupted", f"crawl closed early: {reason}", counts)
    if failures:
        classes = sorted({f.failure_class for f in failures})
        first = failures[0]
        error = f"{len(failures)} request(s) failed; first: {first.url}: {first.detail}"
        return RunVerdict("failed", classes[0] if len(classes) == 1 else "mixed", error, counts)
    if errors:
        return RunVerdict("failed", "crashed", f"{errors} exception(s) in parse callbacks", counts)
    if counts["quarantined"] and counts["quarantined"] >= counts["items"] * QUARANTINE_SHARE:
        error = f"{counts['quarantined']} page(s) quarantined against {counts['items']} message(s) parsed"
        return RunVerdict("failed", "layout_changed", error, counts)
    if stats.get(STAT_PREFIX + EMPTY_BY_DESIGN) and not stats.get(STAT_PREFIX + "listed") and not counts["items"]:
        return RunVerdict("succeeded", EMPTY_BY_DESIGN, None, counts)  # said, so nobody wonders at the zero
    return RunVerdict("succeeded", None, None, counts)
