"""The API's own settings: a view on `[api]` of the settings object, read once at the edge (`harvester serve`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from harvester.app.api.webhooks import DeliveryPolicy
from harvester.config import ApiSection, HarvesterConfig

DEFAULT = ApiSection()  # the defaults live in harvester.config


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """How the API behaves beyond what the store and the outbox already decide (`[api]`, HARVESTER_API_*).

    `allow_self_approval`: whether a token may approve a reply it drafted itself (off: four eyes).
    `max_wait_s`: the longest a change-feed long-poll is held open. `poll_interval_s`: how often a held
    long-poll looks for new events.
    """

    allow_self_approval: bool = DEFAULT.allow_self_approval
    max_wait_s: float = DEFAULT.max_wait_s
    poll_interval_s: float = DEFAULT.poll_interval_s
    page_limit: int = DEFAULT.page_limit
    rate_per_s: float = DEFAULT.rate_per_s  # requests per second and token, on average (0: no limit)
    burst: int = DEFAULT.burst  # requests a token may make at once
    webhooks: DeliveryPolicy = field(default_factory=DeliveryPolicy)


def load_api_settings(config: HarvesterConfig) -> ApiSettings:
    """The API settings of `config` (`[api]` of the file, HARVESTER_API_ALLOW_SELF_APPROVAL, _MAX_WAIT_S,
    _RATE_PER_S and _BURST on top)."""
    return ApiSettings(**config.api.model_dump())
