"""Reply settings: a view on `[replies]` of the settings object (HARVESTER_REPLY_<KEY>, HARVESTER_STAGING and
HARVESTER_STAGING_URLS already on top)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta

from harvester.app.replies.retry import RetryPolicy
from harvester.config import HarvesterConfig, RepliesSection

DEFAULT = RepliesSection()  # the defaults live in harvester.config


@dataclass(frozen=True, slots=True)
class ReplyConfig:
    """How pushes retry and time out, when a posted reply counts as unverified, and the staging switch.

    With `staging` on, every adapter talks to `staging_urls[slug]` (a replica) instead of the platform;
    a platform without a staging URL is not pushed at all, so a rehearsal can never reach production.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sending_lease_s: float = DEFAULT.sending_lease_s  # a reply held this long by a push on another host is taken over
    call_timeout_s: float = DEFAULT.call_timeout_s  # one adapter call (post or find_existing) at most
    unverified_after_runs: int = DEFAULT.unverified_after_runs  # harvests of the platform after posting not seeing it
    staging: bool = DEFAULT.staging
    staging_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.sending_lease_s)


def load_reply_config(config: HarvesterConfig) -> ReplyConfig:
    """The reply settings of `config`; retry keys map onto RetryPolicy fields of the same name."""
    values = config.replies.model_dump()
    retry_names = {f.name for f in fields(RetryPolicy)}
    own = {f.name for f in fields(ReplyConfig)}
    return ReplyConfig(retry=RetryPolicy(**{k: v for k, v in values.items() if k in retry_names}),
                       **{k: v for k, v in values.items() if k in own and k != "retry"})
