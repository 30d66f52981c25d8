"""Pipeline step 2: the validation gate. A message that fails it becomes a quarantined page, never a row."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from harvester.extract.quarantine import quarantine_record
from harvester.pipelines.storable import message_problems, moment_problem, quarantine_id
from harvester.schema import Message, Reply
from harvester.timeutil import SHANGHAI

EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=SHANGHAI)
CLOCK_SKEW = timedelta(days=1)


def problems(message: Message) -> list[str]:
    """Every reason this message must not be stored; empty when it is valid. A value some supported database
    could not hold (harvester.pipelines.storable) is refused here, so SQLite and PostgreSQL refuse alike."""
    found = message_problems(message)
    found += [f"{name} is empty" for name in ("external_id", "url", "title", "body", "addressee", "status_raw")
              if isinstance(getattr(message, name), str) and not getattr(message, name)]
    if _aware(message.posted_at) and _aware(message.fetched_at) and not (
            EARLIEST_PLAUSIBLE <= message.posted_at <= message.fetched_at + CLOCK_SKEW):
        found.append(f"posted_at {message.posted_at.isoformat()} is implausible")
    for index, reply in enumerate(message.replies if isinstance(message.replies, tuple | list) else ()):
        if not isinstance(reply, Reply):
            continue
        if isinstance(reply.text, str) and not reply.text:
            found.append(f"replies[{index}].text is empty")
        if (reply.replied_at is not None and _aware(reply.replied_at) and _aware(message.posted_at)
                and reply.replied_at < message.posted_at - CLOCK_SKEW):
            found.append(f"replies[{index}] is dated before the message")
    return found


def _aware(value: Any) -> bool:
    """An aware time in the range arithmetic with CLOCK_SKEW survives (storable says why another is not)."""
    return moment_problem("", value) is None


class ValidatePipeline:
    """Passes valid messages on (without their raw snapshot); turns invalid ones into QuarantinedPage."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Message):
            return item
        found = problems(item)
        if not found:
            return replace(item, source=None)
        if item.source is None:
            raise ValueError(f"{item.platform}/{item.external_id}: invalid message without its source page")
        return quarantine_record(item.platform, item.source, "validation failed: " + "; ".join(found),
                                 external_id=quarantine_id(item.external_id))
