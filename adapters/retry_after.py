"""Reading a Retry-After header (RFC 9110 §10.2.3): a number of seconds, or an HTTP-date to wait until."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from harvester.timeutil import utcnow

TOO_MANY_REQUESTS = 429  # the platform's rate limit turned the request away before handling it


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait as the header says (0 for a date already past); None when absent or unreadable."""
    text = (value or "").strip()
    if text.isdigit():
        return float(text)
    try:
        until = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None:  # "-0000": the zone is not stated; HTTP-dates are GMT
        until = until.replace(tzinfo=UTC)
    return max(0.0, (until - (now or utcnow())).total_seconds())
