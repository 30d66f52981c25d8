"""A page that could not be used, as the quarantine record the store keeps: the reason says how the page was
decoded when its declared charset did not fit, and a huge body is kept as a bounded prefix with its size and
SHA-256."""

from __future__ import annotations

from harvester.extract.snapshot import Snapshot
from harvester.schema import QuarantinedPage

BODY_LIMIT = 1024 * 1024  # bytes of a quarantined body kept; enough to see any layout, small enough for any store


def quarantine_record(platform: str, snapshot: Snapshot, reason: str, external_id: str | None = None,
                      limit: int = BODY_LIMIT) -> QuarantinedPage:
    """The QuarantinedPage for `snapshot`: its reason with the charset note (if any) and the cut (if any)."""
    notes = [note] if (note := snapshot.decoded.note()) else []
    kept = snapshot.bounded(limit)
    if kept is not snapshot:
        notes.append(f"body kept: the first {limit:,} of {snapshot.size:,} bytes, sha256 {snapshot.sha256}")
    full = f"{reason} [{'; '.join(notes)}]" if notes else reason
    return QuarantinedPage(platform=platform, snapshot=kept, reason=full, external_id=external_id)


def row_page(page: Snapshot, raw: str, media_type: str) -> Snapshot:
    """One row of a list page as a page of its own, to quarantine it alone: the list's URL, status and fetch
    time, the row's text (its JSON or markup) as UTF-8."""
    return Snapshot(url=page.url, status=page.status, body=raw.encode("utf-8"), fetched_at=page.fetched_at,
                    headers={"content-type": f"{media_type}; charset=utf-8"})
