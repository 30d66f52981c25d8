"""Configuration read once into a frozen object: environment `HARVESTER_*` over a TOML file over defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DB_URL = "sqlite:///harvester.db"
DEFAULT_CONFIG_FILE = "harvester.toml"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where unattended runs keep their lock, alert state and child logs: $XDG_STATE_HOME/liuyan-harvester."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "liuyan-harvester"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the source and the key."""


@dataclass(frozen=True, slots=True)
class HarvesterConfig:
    """Everything the harvester reads from its environment. Secrets are not kept here (see secrets.py)."""

    db_url: str = DEFAULT_DB_URL
    config_file: Path | None = None
    platforms_dirs: tuple[Path, ...] = ()
    platform_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    enabled_platforms: tuple[str, ...] = ()
    recheck_after_hours: float = 3.0
    recheck_limit: int = 2000
    batch_size: int = 200
    link_copies: bool = True  # link copies of one citizen message across platforms (docs/linking.md)
    log_level: str = "INFO"
    secrets_file: Path | None = None
    state_dir: Path = field(default_factory=default_state_dir)
    # The built-in definitions (harvester/platforms/) stand for the local replicas: enabled without being
    # named only in a replica or demo setup, never by default in a deployment.
    replica_platforms: bool = False

    def to_scrapy_settings(self) -> dict[str, Any]:
        """The subset a crawl needs, as Scrapy settings (so `scrapy crawl` and `harvester` agree)."""
        return {
            "HARVESTER_DB_URL": self.db_url,
            "HARVESTER_PLATFORMS_DIRS": [str(p) for p in self.platforms_dirs],
            "HARVESTER_PLATFORM_OVERRIDES": {k: dict(v) for k, v in self.platform_overrides.items()},
            "HARVESTER_RECHECK_AFTER_HOURS": self.recheck_after_hours,
            "HARVESTER_RECHECK_LIMIT": self.recheck_limit,
            "HARVESTER_BATCH_SIZE": self.batch_size,
            "HARVESTER_LINK_COPIES": self.link_copies,
            "LOG_LEVEL": self.log_level,
            "HARVESTER_STATE_DIR": str(self.state_dir),
        }


def _flag(value: Any, name: str, source: str) -> bool:
    """A switch from the file (a boolean) or the environment (1/0, true/false, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{source}: {name} must be true or false, got {value!r}")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error


def _number(value: Any, key: str, source: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: {key} must be a number, got {value!r}") from error


def load_config(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> HarvesterConfig:
    """Build the config: `HARVESTER_CONFIG` (or ./harvester.toml if present), then `HARVESTER_*` variables."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    named = env.get("HARVESTER_CONFIG")
    path = Path(named) if named else cwd / DEFAULT_CONFIG_FILE
    if named and not path.exists():
        raise ConfigError(f"HARVESTER_CONFIG names {path}, which does not exist")
    data = _read_file(path) if path.exists() else {}
    source = str(path)
    base = path.parent if path.exists() else cwd
    dirs = [base / d for d in data.get("platforms_dirs", [])]
    dirs += [Path(d) for d in env.get("HARVESTER_PLATFORMS_DIRS", "").split(os.pathsep) if d]
    enabled = env.get("HARVESTER_PLATFORMS", "")
    secrets = env.get("HARVESTER_SECRETS_FILE") or data.get("secrets_file")
    state_dir = env.get("HARVESTER_STATE_DIR") or (base / str(data["state_dir"]) if "state_dir" in data else None)
    return HarvesterConfig(
        db_url=env.get("HARVESTER_DB_URL") or data.get("db_url") or DEFAULT_DB_URL,
        config_file=path if path.exists() else None,
        platforms_dirs=tuple(dirs),
        platform_overrides=data.get("platforms", {}),
        enabled_platforms=tuple(p for p in enabled.split(",") if p) or tuple(data.get("enabled", [])),
        recheck_after_hours=_number(env.get("HARVESTER_RECHECK_AFTER_HOURS",
                                            data.get("recheck_after_hours", 3.0)), "recheck_after_hours", source),
        recheck_limit=int(_number(data.get("recheck_limit", 2000), "recheck_limit", source)),
        batch_size=int(_number(env.get("HARVESTER_BATCH_SIZE", data.get("batch_size", 200)), "batch_size", source)),
        link_copies=_flag(env.get("HARVESTER_LINK_COPIES", data.get("link_copies", True)), "link_copies", source),
        log_level=env.get("HARVESTER_LOG_LEVEL", data.get("log_level", "INFO")).upper(),
        secrets_file=Path(secrets) if secrets else None,
        state_dir=Path(state_dir) if state_dir else default_state_dir(env),
        replica_platforms=_flag(env.get("HARVESTER_REPLICA_PLATFORMS", data.get("replica_platforms", False)),
                                "replica_platforms", source),
    )
