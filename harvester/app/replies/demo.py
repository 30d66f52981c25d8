"""The reply leg of `harvester demo`: approve one answer to a harvested jact letter, push it, report it."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from rich.console import Console

from harvester.app.replies.adapters import AdapterPool
from harvester.app.replies.api import Outbox
from harvester.app.replies.push import Pusher
from harvester.app.replies.retry import RetryPolicy
from harvester.app.replies.settings import ReplyConfig
from harvester.registry import load_platforms
from harvester.secrets import Secrets
from harvester.store.db import Store

DEMO_ACTOR = "harvester demo"


def _control(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/__replica__/{path}", timeout=30) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def _pick(box: Outbox, store: Store, platform: str, base_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An unanswered open letter the store holds, and the back-office account of the unit handling it."""
    with store.transaction() as repo:
        stored = {m["external_id"] for m in repo.iter_messages(platform) if m["status"] == "in_progress"}
    taken = {reply.external_id for reply in box.list_replies(platform=platform, limit=1000)}
    accounts = {a["unit"]: a for a in _control(base_url, "jact/accounts")}
    letter = next(x for x in _control(base_url, "jact/letters") if str(x["id"]) in stored - taken
                  and x["public"] and not x["replies"] and x["unit"] in accounts)
    return letter, accounts[letter["unit"]]


def push_demo_reply(store: Store, base_url: str, console: Console, platform: str = "jact_demo") -> int:
    """Add, approve and push one reply on the replica at `base_url`; returns its outbox id.

    The replica publishes its units' back-office credentials on its control API; a real deployment takes them
    from the environment or the secrets file instead.
    """
    box = Outbox(store)
    letter, account = _pick(box, store, platform, base_url)
    text = (f"您好！您反映的问题已收悉，{letter['unit']}已安排专人核查处理，处理结果将及时在此答复。"
            "感谢您对我市工作的关心和监督。")
    reply = box.add(platform, str(letter["id"]), text, letter["unit"], account["username"], DEMO_ACTOR)
    box.approve(reply.id, DEMO_ACTOR, content_hash=reply.content_hash)
    secrets = Secrets({(platform, account["username"]): {k: account[k] for k in ("username", "password",
                                                                                 "totp_secret")}}, env={})
    specs = load_platforms(overrides={platform: {"base_url": base_url}})
    pool = AdapterPool(specs, secrets, ReplyConfig(retry=RetryPolicy(backoff_initial_s=0.5, max_inline_wait_s=5)))

    async def once() -> None:
        try:
            await Pusher(store, pool, pool.config).push(platforms=[platform])
        finally:
            await pool.close()

    asyncio.run(once())
    pushed = box.get(reply.id)
    console.print(f"reply {reply.id} to letter {letter['id']} as {letter['unit']}: {pushed.state}"
                  + (f" (platform id {pushed.platform_reply_id})" if pushed.platform_reply_id else ""))
    return reply.id


def report_demo_reply(store: Store, reply_id: int, console: Console) -> bool:
    """Print where the demo reply ended; True when the second harvest verified it."""
    reply = Outbox(store).get(reply_id)
    style = "green" if reply.state == "verified" else "red"
    console.print(f"demo reply {reply_id}: [{style}]{reply.state}[/] — `harvester replies show {reply_id}` for "
                  "its audit trail")
    return reply.state == "verified"
