"""Monitor `unverified_replies`: replies we posted that successful harvests of their platform have not seen."""

from __future__ import annotations

from harvester.app.monitors.base import CheckResult, MonitorSpec, PlatformContext, Settings, result
from harvester.timeutil import to_shanghai

NAME = "unverified_replies"
DEFAULTS = {"after_runs": 3}  # `[replies] unverified_after_runs` sets this default when present
SHOWN = 5


def check(ctx: PlatformContext, settings: Settings) -> CheckResult:
    after = int(settings["after_runs"])
    found = [item for item in ctx.reads.unverified_replies(after) if item.reply.platform == ctx.slug]
    replies = [{"reply_id": item.reply.id, "external_id": item.reply.external_id, "state": item.reply.state,
                "unit": item.reply.organisation, "runs_since": item.runs_since,
                "posted_at": to_shanghai(item.reply.posted_at).isoformat() if item.reply.posted_at else None}
               for item in found]
    if found:
        shown = ", ".join(f"reply {r['reply_id']} to {r['external_id']} ({r['unit']})" for r in replies[:SHOWN])
        return result(NAME, ctx, True, f"{len(found)} posted reply(ies) not seen by {after}+ successful harvests: "
                      f"{shown}", count=len(found), replies=replies)
    return result(NAME, ctx, False, f"every posted reply seen within {after} harvests", count=0)


MONITOR = MonitorSpec(NAME, DEFAULTS, check, "posted replies not seen on the platform after N successful harvests")
