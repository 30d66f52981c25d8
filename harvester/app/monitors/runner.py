"""Run every enabled monitor on every platform; a monitor that crashes is reported, never fatal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from harvester.app.monitors.base import CheckResult, PlatformContext
from harvester.app.monitors.history import oldest_success
from harvester.app.monitors.settings import ChecksSettings, load_checks_settings
from harvester.config import ConfigError, HarvesterConfig
from harvester.registry import PlatformSpec, load_platforms
from harvester.store.db import Store
from harvester.store.monitoring import MonitorReads


def checks_settings(config: HarvesterConfig) -> ChecksSettings:
    """`[checks]` of the config file, with `[checks.platforms.<slug>]` naming only defined platforms."""
    settings = load_checks_settings(config)
    defined = load_platforms(config.platforms_dirs, config.platform_overrides)
    unknown = sorted(set(settings.platforms) - set(defined))
    if unknown:
        raise ConfigError(f"{config.config_file}: [checks.platforms.{unknown[0]}]: no platform definition with that "
                          f"slug; defined: {', '.join(sorted(defined))}")
    for spec in defined.values():
        settings.for_platform(spec)  # a definition's [options.checks] fails here, naming its file
    return settings


def run_checks(store: Store, specs: Mapping[str, PlatformSpec], settings: ChecksSettings, now: datetime,
               config: HarvesterConfig) -> list[CheckResult]:
    """Every enabled monitor on every platform in `specs`, each in its own read transaction."""
    results = []
    for spec in specs.values():
        if spec.problem is not None:  # its definition file cannot be used: that is all there is to say about it
            results.append(CheckResult("definition", spec.slug, "failed", spec.problem))
            continue
        for name, values in settings.enabled(spec).items():
            results.append(_one(store, spec, name, values, settings, now, config))
    return results


def _one(store: Store, spec: PlatformSpec, name: str, values: Mapping[str, object], settings: ChecksSettings,
         now: datetime, config: HarvesterConfig) -> CheckResult:
    try:
        with store.transaction() as repo:
            ctx = PlatformContext(MonitorReads(repo), spec, now, config.state_dir, config.db_url)
            return settings.monitors[name].check(ctx, values)
    except Exception as error:  # noqa: BLE001 - one broken monitor must not hide the others' findings
        return CheckResult(name, spec.slug, "error", f"the check itself failed: {type(error).__name__}: {error}")


def last_successes(store: Store, platforms: list[str]) -> dict[str, datetime | None]:
    """When each platform last had all its boards harvested successfully (None: never): its newest success, or,
    for a platform harvested in board shards, the oldest of its shards' newest successes (the staleness
    monitor's rule), so a shard that keeps failing does not look fresh in the run report or the metrics."""
    with store.transaction() as repo:
        reads = MonitorReads(repo)
        found = reads.last_successes(platforms)
        for platform in reads.sharded(platforms):
            oldest = oldest_success(reads.newest_of_each_shard(platform, succeeded=True))
            found[platform] = oldest[0] if oldest else None
        return found
