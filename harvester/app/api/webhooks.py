"""Webhook deliveries of the change feed: signed POSTs, at least once, retried with backoff, dead ones alerted.

A delivery is `{"webhook": name, "events": [...]}` with the events exactly as GET /changes serves them.
Headers: `X-Harvester-Timestamp` (Unix seconds) and `X-Harvester-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>." + body with the subscription's secret>`. A 2xx answer acknowledges every event in it; anything
else is retried later with the same events (so receivers deduplicate by seq).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from harvester.store.db import Store
from harvester.store.webhooks import Subscription, due_webhooks, record_delivered, record_failed
from harvester.timeutil import utcnow

log = logging.getLogger(__name__)
OnDead = Callable[[Subscription, str], None]


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How often the loop looks, how many events go in one POST, and how failures back off until dead."""

    interval_s: float = 1.0
    batch: int = 100
    timeout_s: float = 10.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0
    dead_after: int = 10  # failures in a row


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Harvester-Signature value receivers recompute to check a delivery."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(policy: DeliveryPolicy, failures: int) -> timedelta:
    """Doubling from the initial wait, capped."""
    return timedelta(seconds=min(policy.backoff_max_s, policy.backoff_initial_s * 2 ** max(0, failures - 1)))


def _post(client: httpx.Client, sub: Subscription, events: list[dict[str, object]]) -> str | None:
    """POST one batch; None when acknowledged, else why not."""
    body = json.dumps({"webhook": sub.name, "events": events}, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Harvester-Timestamp": stamp,
               "X-Harvester-Signature": signature(sub.secret, stamp, body)}
    try:
        answer = client.post(sub.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return None if answer.is_success else f"HTTP {answer.status_code}"


def deliver_due(store: Store, client: httpx.Client, policy: DeliveryPolicy, on_dead: OnDead,
                now: datetime | None = None) -> int:
    """One pass: every due subscription gets its next batch; returns how many batches were acknowledged."""
    now = now or utcnow()
    with store.transaction() as repo:
        subs = due_webhooks(repo, now)
    delivered = 0
    for sub in subs:
        with store.transaction() as repo:
            events = repo.events_since(sub.acked_seq, limit=policy.batch)
        if not events:
            continue
        error = _post(client, sub, events)
        with store.transaction() as repo:
            if error is None:
                record_delivered(repo, sub.id, int(events[-1]["seq"]))
                delivered += 1
                continue
            dead = sub.failures + 1 >= policy.dead_after
            record_failed(repo, sub.id, error, now + backoff(policy, sub.failures + 1), dead)
        if dead:
            on_dead(sub, error)
    return delivered


class DeliveryLoop:
    """`deliver_due` every `interval_s` on a thread, until `stop()`."""

    def __init__(self, store: Store, policy: DeliveryPolicy, on_dead: OnDead) -> None:
        self.store, self.policy, self.on_dead = store, policy, on_dead
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-deliveries", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.policy.timeout_s + 5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.policy.timeout_s) as client:
            while not self._stop.is_set():
                try:
                    while deliver_due(self.store, client, self.policy, self.on_dead) and not self._stop.is_set():
                        pass  # a backlog: keep going without waiting
                except Exception:  # the loop must outlive a database hiccup; the next pass retries
                    log.exception("webhook delivery pass failed")
                self._stop.wait(self.policy.interval_s)
