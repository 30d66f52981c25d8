"""Monitor settings, most specific last: defaults < `[checks.<monitor>]` < a definition's `[options.checks.<monitor>]`
< `[checks.platforms.<slug>.<monitor>]`. Every monitor also takes `enabled = false`. The holidays file that
`[checks] holidays_file` (or HARVESTER_HOLIDAYS_FILE) names is read here once and reaches the overdue monitor as
its `calendar` setting. The tables come from the settings object (harvester.config); their keys are checked here,
against the monitors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.app.monitors.base import MonitorSpec
from harvester.app.monitors.monitors import all_monitors
from harvester.config import ConfigError, HarvesterConfig
from harvester.holidays import CONFIG_KEY, ENV_VAR, PACKAGE, WorkCalendar, calendar_from
from harvester.registry import PlatformSpec

MonitorSettings = dict[str, dict[str, Any]]


def _coerce(value: Any, default: Any, where: str) -> Any:
    """`value` checked against the type of `default`; ConfigError names `where`."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        value = float(value) if ok else value
    elif isinstance(default, dict):
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not ok:
        kind = {bool: "true or false", int: "a whole number >= 0", float: "a number >= 0", dict: "a table"}
        raise ConfigError(f"{where} must be {kind.get(type(default), 'a list of strings')}, got {value!r}")
    return dict(value) if isinstance(value, dict) else value


def validate(table: Any, source: str, section: str, monitors: Mapping[str, MonitorSpec]) -> MonitorSettings:
    """A `{monitor: {key: value}}` table (`[section]` of `source`) checked against the monitors' settings."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{section}] must be a table of monitors")
    out: MonitorSettings = {}
    for name, values in table.items():
        where = f"{source}: [{section}.{name}]"
        if name not in monitors:
            raise ConfigError(f"{source}: [{section}]: unknown monitor {name!r}; known: {', '.join(monitors)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{where} must be a table")
        allowed = {"enabled": True, **monitors[name].defaults}
        unknown = set(values) - set(allowed)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(allowed)}")
        out[name] = {key: _coerce(value, allowed[key], f"{where} {key}") for key, value in values.items()}
        verify = monitors[name].verify
        if verify is not None:
            try:
                verify(out[name])
            except (KeyError, ValueError) as error:
                raise ConfigError(f"{where}: {error.args[0] if error.args else error}") from error
    return out


def _merge(into: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Override `into` with `values`; tables (deadlines) merge key by key."""
    for key, value in values.items():
        into[key] = {**into[key], **value} if isinstance(value, dict) and isinstance(into.get(key), dict) else value


@dataclass(frozen=True, slots=True)
class ChecksSettings:
    """Settings of every monitor, everywhere and per platform; `for_platform` merges them."""

    general: MonitorSettings
    platforms: Mapping[str, MonitorSettings] = field(default_factory=dict)
    monitors: Mapping[str, MonitorSpec] = field(default_factory=all_monitors)
    calendar: WorkCalendar = PACKAGE

    def for_platform(self, spec: PlatformSpec) -> MonitorSettings:
        """The settings that apply to one platform (definition options validated here, naming the file)."""
        merged = {name: dict(values) for name, values in self.general.items()}
        own = validate(spec.options.get("checks", {}), spec.source, "options.checks", self.monitors)
        for layer in (own, self.platforms.get(spec.slug, {})):
            for name, values in layer.items():
                _merge(merged[name], values)
        return merged

    def enabled(self, spec: PlatformSpec) -> MonitorSettings:
        """Only the monitors switched on for this platform."""
        return {name: values for name, values in self.for_platform(spec).items() if values["enabled"]}


def parse_checks(table: Mapping[str, Any], source: str, defaults_from_replies: Mapping[str, Any] | None = None,
                 base: Path | None = None, env: Mapping[str, str] | None = None) -> ChecksSettings:
    """`[checks]` of a config file (already read as TOML) into settings; errors name `source` and the key.

    The holidays file (`holidays_file`, relative to `base`; `env`'s HARVESTER_HOLIDAYS_FILE wins) is read and
    checked here, so a mistake in it is a configuration error before any work."""
    monitors = all_monitors()
    general: MonitorSettings = {name: {"enabled": True, **monitor.defaults} for name, monitor in monitors.items()}
    after = (defaults_from_replies or {}).get("unverified_after_runs")
    if "unverified_replies" in general and isinstance(after, int):
        general["unverified_replies"]["after_runs"] = after
    table = dict(table)
    platforms_table = table.pop("platforms", {})
    calendar = calendar_from(_holidays_path(table.pop(CONFIG_KEY, None), source, base, env or {}))
    for name, values in validate(table, source, "checks", monitors).items():
        _merge(general[name], values)
    if "overdue" in general:
        general["overdue"]["calendar"] = calendar  # not a key anyone may set per monitor or platform
    if not isinstance(platforms_table, dict):
        raise ConfigError(f"{source}: [checks.platforms] must be a table of platforms")
    platforms = {slug: validate(values, source, f"checks.platforms.{slug}", monitors)
                 for slug, values in platforms_table.items()}
    return ChecksSettings(general, platforms, monitors, calendar)


def _holidays_path(value: Any, source: str, base: Path | None, env: Mapping[str, str]) -> Path | None:
    """The holidays file to read: HARVESTER_HOLIDAYS_FILE, else `[checks] holidays_file`, else none."""
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: [checks] {CONFIG_KEY} must be the path of a TOML file, got {value!r}")
    path = Path(value)
    return path if path.is_absolute() or base is None else base / path


def load_checks_settings(config: HarvesterConfig) -> ChecksSettings:
    """The monitor settings of `config` (`[checks]`, `[replies] unverified_after_runs`), and the holidays file
    it names (HARVESTER_HOLIDAYS_FILE already on top), read and checked here."""
    table: dict[str, Any] = {**config.checks.monitors, "platforms": config.checks.platforms}
    if config.checks.holidays_file is not None:
        table[CONFIG_KEY] = str(config.checks.holidays_file)
    replies = ({"unverified_after_runs": config.replies.unverified_after_runs}
               if "unverified_after_runs" in config.replies.model_fields_set else {})
    return parse_checks(table, str(config.config_file or "defaults"), replies)
