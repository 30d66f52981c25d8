"""The API's own settings, read once at the edge (`harvester serve`) and handed to the app factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from harvester.app.api.webhooks import DeliveryPolicy

TRUE = {"1", "true", "yes", "on"}
DEFAULT_MAX_WAIT_S = 60.0
DEFAULT_RATE_PER_S = 20.0
DEFAULT_BURST = 200


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """How the API behaves beyond what the store and the outbox already decide.

    `allow_self_approval`: whether a token may approve a reply it drafted itself (off: four eyes).
    `max_wait_s`: the longest a change-feed long-poll is held open. `poll_interval_s`: how often a held
    long-poll looks for new events.
    """

    allow_self_approval: bool = False
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    poll_interval_s: float = 0.25
    page_limit: int = 500
    rate_per_s: float = DEFAULT_RATE_PER_S  # requests per second and token, on average (0: no limit)
    burst: int = DEFAULT_BURST  # requests a token may make at once
    webhooks: DeliveryPolicy = field(default_factory=DeliveryPolicy)


def load_api_settings(env: Mapping[str, str] | None = None) -> ApiSettings:
    """Settings from HARVESTER_API_ALLOW_SELF_APPROVAL, _MAX_WAIT_S, _RATE_PER_S and _BURST (defaults otherwise)."""
    env = os.environ if env is None else env
    return ApiSettings(
        allow_self_approval=env.get("HARVESTER_API_ALLOW_SELF_APPROVAL", "").strip().lower() in TRUE,
        max_wait_s=float(env.get("HARVESTER_API_MAX_WAIT_S", DEFAULT_MAX_WAIT_S)),
        rate_per_s=float(env.get("HARVESTER_API_RATE_PER_S", DEFAULT_RATE_PER_S)),
        burst=int(env.get("HARVESTER_API_BURST", DEFAULT_BURST)),
    )
