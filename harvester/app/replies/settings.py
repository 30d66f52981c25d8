"""Reply settings: the `[replies]` table of the config file, overridden by `HARVESTER_*` variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from harvester.app.replies.retry import RetryPolicy
from harvester.config import ConfigError, HarvesterConfig

TRUE = {"1", "true", "yes", "on"}
# [replies] key -> (HARVESTER_* variable, type); retry keys map onto RetryPolicy fields of the same name.
NUMBERS = {"max_attempts": int, "attempts_per_push": int, "backoff_initial_s": float, "backoff_max_s": float,
           "max_inline_wait_s": float, "auth_retry_after_s": float, "sending_lease_s": float,
           "call_timeout_s": float, "unverified_after_runs": int}


@dataclass(frozen=True, slots=True)
class ReplyConfig:
    """How pushes retry and time out, when a posted reply counts as unverified, and the staging switch.

    With `staging` on, every adapter talks to `staging_urls[slug]` (a replica) instead of the platform;
    a platform without a staging URL is not pushed at all, so a rehearsal can never reach production.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sending_lease_s: float = 1800.0  # a reply held this long by a push on another host is taken over
    call_timeout_s: float = 180.0  # one adapter call (post or find_existing) at most
    unverified_after_runs: int = 3  # successful harvests of the platform after posting that did not see it
    staging: bool = False
    staging_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.sending_lease_s)


def _table(config: HarvesterConfig) -> dict[str, Any]:
    if config.config_file is None:
        return {}
    with config.config_file.open("rb") as handle:
        replies = tomllib.load(handle).get("replies", {})
    if not isinstance(replies, dict):
        raise ConfigError(f"{config.config_file}: [replies] must be a table")
    return replies


def _staging_urls(table: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """`[replies.staging_urls]` slug = URL, then HARVESTER_STAGING_URLS="slug=url,slug=url" on top."""
    urls = {str(k): str(v).rstrip("/") for k, v in dict(table.get("staging_urls", {})).items()}
    for item in filter(None, (part.strip() for part in env.get("HARVESTER_STAGING_URLS", "").split(","))):
        slug, sep, url = item.partition("=")
        if not sep or not url.strip():
            raise ConfigError(f"HARVESTER_STAGING_URLS: expected slug=url, got {item!r}")
        urls[slug.strip()] = url.strip().rstrip("/")
    return urls


def load_reply_config(config: HarvesterConfig, env: Mapping[str, str] | None = None) -> ReplyConfig:
    """Read `[replies]` from the config file; `HARVESTER_REPLY_<KEY>` and `HARVESTER_STAGING*` win."""
    env = os.environ if env is None else env
    table = _table(config)
    unknown = set(table) - set(NUMBERS) - {"staging", "staging_urls"}
    if unknown:
        raise ConfigError(f"[replies]: unknown key(s) {sorted(unknown)}; known {sorted(NUMBERS)}")
    values: dict[str, Any] = {}
    for key, kind in NUMBERS.items():
        raw = env.get(f"HARVESTER_REPLY_{key.upper()}", table.get(key))
        if raw is not None:
            try:
                values[key] = kind(raw)
            except (TypeError, ValueError) as error:
                raise ConfigError(f"[replies] {key} must be a number, got {raw!r}") from error
    retry_names = {f.name for f in fields(RetryPolicy)}
    retry = RetryPolicy(**{k: v for k, v in values.items() if k in retry_names})
    staging = str(env.get("HARVESTER_STAGING", table.get("staging", ""))).strip().lower() in TRUE
    return ReplyConfig(retry=retry, staging=staging, staging_urls=_staging_urls(table, env),
                       **{k: v for k, v in values.items() if k not in retry_names})
