"""The harvester's settings: one typed, frozen object, read once at the edge from defaults < the config file
(`harvester.toml`, or the file `HARVESTER_CONFIG` names) < `HARVESTER_*` variables. Every default is here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources import DefaultSettingsSource

from harvester.configsources import ConfigError, ConfigFileSource, EnvSource, config_error

__all__ = ["ConfigError", "HarvesterConfig", "load_config"]

DEFAULT_DB_URL = "sqlite:///harvester.db"
DEFAULT_CONFIG_FILE = "harvester.toml"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where unattended runs keep their lock, alert state and child logs: $XDG_STATE_HOME/liuyan-harvester."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "liuyan-harvester"


class Section(BaseModel):
    """A table of the config file: typed, frozen, unknown keys refused; the line under a field says what it is
    (harvester/configdoc.py reads these lines from the source to generate the README's configuration table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSection(Section):
    """`[run]`: how `harvester run` spreads harvests over child processes, and where it keeps its files."""

    lock_path: Path | None = None
    """lock file of `harvester run`, beside the config file (default: `<state_dir>/run.lock`)"""
    textfile: Path | None = None
    """Prometheus textfile written after each run, beside the config file (default: none)"""
    parallel: int = Field(default=2, ge=1)
    """harvest processes at once"""
    per_process: int = Field(default=8, ge=1)
    """platforms crawled by one harvest process (browser-driven ones get a process of their own)"""
    timeout_minutes: float = Field(default=60.0, gt=0)
    """a harvest or push process still running after this is killed"""
    every_hours: dict[str, float] = {}
    """`{ slug = hours }` between harvests of a platform (default: every run)"""


class ChecksSection(Section):
    """`[checks]`: the holidays file, and monitor tables (`[checks.<monitor>]`, per platform under
    `[checks.platforms.<slug>.<monitor>]`) that harvester.app.monitors checks against its monitors."""

    model_config = ConfigDict(extra="allow", frozen=True)

    holidays_file: Path | None = None
    """holidays beyond what chinesecalendar knows (next year's 放假安排), beside the config file"""
    platforms: dict[str, dict[str, Any]] = {}
    """`[checks.platforms.<slug>.<monitor>]`: monitor settings for one platform (monitors: docs/operations.md)"""

    @property
    def monitors(self) -> dict[str, Any]:
        """`[checks.<monitor>]` tables as written."""
        return dict(self.model_extra or {})


class RepliesSection(Section):
    """`[replies]`: how pushes retry and time out, when a posted reply counts as unverified, and staging."""

    max_attempts: int = Field(default=5, ge=0)
    """posts of one reply over all pushes, then it is dead"""
    attempts_per_push: int = Field(default=3, ge=0)
    """posts of one reply within one push"""
    backoff_initial_s: float = Field(default=2.0, ge=0)
    """first wait after a failed post, doubling"""
    backoff_max_s: float = Field(default=60.0, ge=0)
    """longest wait between posts"""
    max_inline_wait_s: float = Field(default=120.0, ge=0)
    """longer waits end the push's attempts and set the reply's `not_before`"""
    auth_retry_after_s: float = Field(default=900.0, ge=0)
    """wait after a refused login before the account is tried again"""
    sending_lease_s: float = Field(default=1800.0, ge=0)
    """a reply held this long by a push on another host is taken over"""
    call_timeout_s: float = Field(default=180.0, ge=0)
    """one adapter call (post or find_existing) at most"""
    unverified_after_runs: int = Field(default=3, ge=0)
    """successful harvests after posting that did not see the reply: it is unverified"""
    staging: bool = False
    """every adapter talks to its platform's staging URL; a platform without one is not pushed"""
    staging_urls: dict[str, str] = {}
    """`{ slug = URL }` of the staging replicas (`HARVESTER_STAGING_URLS=slug=url,slug=url` adds to them)"""

    @field_validator("staging_urls")
    @classmethod
    def _no_trailing_slash(cls, urls: dict[str, str]) -> dict[str, str]:
        return {slug: url.rstrip("/") for slug, url in urls.items()}


class WebhookTable(Section):
    """One `[[alerts.webhooks]]`: the URL itself or, better, the variable holding it (it carries the key)."""

    url: str | None = None
    """the webhook URL (prefer url_env: the URL carries the key)"""
    url_env: str | None = None
    """the environment variable holding the URL"""
    style: Literal["generic", "wecom", "dingtalk", "slack"] = "generic"
    """the body the receiver expects"""
    secret_env: str | None = None
    """the variable holding DingTalk's signing secret (加签)"""
    timeout: float = Field(default=10.0, gt=0)
    """seconds per POST"""
    attempts: int = Field(default=3, ge=1)
    """POSTs before the alert counts as not delivered"""


class EmailTable(Section):
    """`[alerts.email]`: an SMTP server; its password only through the variable `password_env` names."""

    host: str
    """SMTP server"""
    port: int
    """SMTP port"""
    sender: str
    """From address"""
    recipients: list[str] = Field(min_length=1)
    """To addresses"""
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    """how the connection is secured"""
    username: str | None = None
    """SMTP login"""
    password_env: str | None = None
    """the environment variable holding the SMTP password"""
    timeout: float = Field(default=30.0, gt=0)
    """seconds per delivery"""


class OverdueAlerts(Section):
    """`[alerts.overdue]`: the 督办 channel for overdue letters, apart from health alerts."""

    webhooks: list[WebhookTable] = []
    """`[[alerts.overdue.webhooks]]`, keys as `[[alerts.webhooks]]`"""
    email: EmailTable | None = None
    """`[alerts.overdue.email]`, keys as `[alerts.email]`"""
    severity: Literal["info", "warning", "critical"] = "warning"
    """how loud the 督办 alert is"""
    repeat_hours: float = Field(default=24.0, ge=0)
    """the 督办 alert is said again after this while the overdue letters stay the same"""


class AlertsSection(Section):
    """`[alerts]`: where health alerts go (`[[alerts.webhooks]]`, `[alerts.email]`) and the 督办 channel."""

    webhooks: list[WebhookTable] = []
    """`[[alerts.webhooks]]`: url or url_env, style, secret_env, timeout, attempts"""
    email: EmailTable | None = None
    """`[alerts.email]`: host, port, sender, recipients, security, username, password_env, timeout"""
    overdue: OverdueAlerts = OverdueAlerts()
    """`[alerts.overdue]`: the 督办 alert of overdue letters, with its own targets"""


class ApiSection(Section):
    """`[api]`: how `harvester serve` behaves beyond what the store and the outbox decide."""

    allow_self_approval: bool = False
    """a token may approve a reply it drafted itself (off: four eyes)"""
    max_wait_s: float = Field(default=60.0, ge=0)
    """the longest a change-feed long-poll is held open"""
    poll_interval_s: float = Field(default=0.25, gt=0)
    """how often a held long-poll looks for new events"""
    page_limit: int = Field(default=500, ge=1)
    """most items one page of a list answers"""
    rate_per_s: float = Field(default=20.0, ge=0)
    """requests per second and token, on average (0: no limit)"""
    burst: int = Field(default=200, ge=1)
    """requests a token may make at once"""


class DistributedSection(Section):
    """`[distributed]`: Celery workers on a broker, for `harvester worker` / `harvester enqueue` (PostgreSQL only)."""

    broker_url: str = Field(default="redis://127.0.0.1:6379/0", repr=False)
    """the broker (Redis or RabbitMQ); it may carry a password, so the settings' repr leaves it out"""
    # Measured over 300 sites at the politeness of a new definition (bench/fleet.py --distributed,
    # docs/scale-out.md): 25 per task and 2 tasks per worker made a one-worker incremental cycle 98 s and 80 CPU
    # seconds, against 217 s and 115 with 10 per task; one process crawls its sites concurrently, each at its own
    # site's pace. Fewer per task scale more evenly over many workers (x3.0 on 4 against x1.8) but cost more.
    per_task: int = Field(default=25, ge=1)
    """platforms per harvest task"""
    http_concurrency: int = Field(default=2, ge=1)
    """harvest tasks at once per HTTP worker process"""
    browser_concurrency: int = Field(default=1, ge=1)
    """browser harvest tasks at once per worker (each holds a Chromium)"""
    task_timeout_minutes: float = Field(default=60.0, gt=0)
    """a harvest child still running after this is killed"""
    visibility_timeout: float = Field(default=0.0, ge=0)
    """seconds a task may stay unacknowledged before another worker gets it (0: derived from the time limit)"""
    beat_hours: tuple[int, ...] = (0, 6, 12, 18)
    """hours (Asia/Shanghai) at which Celery beat enqueues what is due"""
    busy_retry_seconds: float = Field(default=60.0, ge=0)
    """a platform another harvest holds is tried again this much later"""
    # A 领导留言板 province lists a few hundred boards; 50 keep an incremental shard to a few hundred requests
    # (about a minute at a polite pace) and split a 300-board province into 6 tasks that hosts take at once; far
    # fewer boards per shard would spend more on task start-up (a process, a shell page) than they save.
    shard_boards: int = Field(default=50, ge=1)
    """a platform with more boards than this is harvested as board shards of at most this many"""


class ConsoleSection(Section):
    """`[console]`: the web console served next to the API."""

    secure_cookies: bool = True
    """the session cookie only over https (switch off for http://127.0.0.1)"""
    session_hours: float = Field(default=10.0, gt=0)
    """how long a sign-in lasts"""
    export_limit: int = Field(default=20000, ge=1)
    """the most rows one CSV/XLSX export holds"""


class HarvesterConfig(BaseSettings):
    """Everything the harvester reads from its config file and environment. Secrets are not kept here (see
    secrets.py; alert secrets are named by `*_env` keys and read where they are sent)."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    db_url: str = DEFAULT_DB_URL
    """the store: `sqlite:///harvester.db` or `postgresql+psycopg://user@host/db`"""
    config_file: Path | None = None
    """the file read, if any (set by load_config, not a key of the file)"""
    platforms_dirs: tuple[Path, ...] = ()
    """definition folders besides the built-in one, beside the config file (the variable adds to them)"""
    platform_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict, validation_alias="platforms")
    """`[platforms.<slug>]`: base_url, enabled, download_delay, concurrency, fetch, charset … of one platform"""
    enabled_platforms: tuple[str, ...] = Field(default=(), validation_alias="enabled")
    """platforms to run (variable: `a,b`)"""
    recheck_after_hours: float = Field(default=3.0, ge=0)
    """open messages are read again after this"""
    recheck_limit: int = Field(default=2000, ge=0)
    """re-checks per platform and harvest"""
    batch_size: int = Field(default=200, ge=1)
    """messages per store transaction"""
    link_copies: bool = True
    """link copies of one citizen message across platforms (一稿多投, docs/linking.md)"""
    log_level: str = "INFO"
    """log level of harvests and pushes"""
    secrets_file: Path | None = None
    """reply accounts (TOML, private: mode 0600 or 0640, else refused; variables: docs/replies.md)"""
    state_dir: Path = Field(default_factory=default_state_dir)
    """run lock, alert state and child logs (default: `$XDG_STATE_HOME/liuyan-harvester`)"""
    replica_platforms: bool = False
    """the built-in replica platforms run without being named (demo, rehearsal); never by default in a deployment"""
    run: RunSection = RunSection()
    """`[run]`"""
    checks: ChecksSection = ChecksSection()
    """`[checks]`"""
    replies: RepliesSection = RepliesSection()
    """`[replies]`"""
    alerts: AlertsSection = AlertsSection()
    """`[alerts]`"""
    api: ApiSection = ApiSection()
    """`[api]`"""
    distributed: DistributedSection = DistributedSection()
    """`[distributed]`"""
    console: ConsoleSection = ConsoleSection()
    """`[console]`"""

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Built directly (tests, demos), the object holds what it is given and defaults: no file, no variable.
        `load_config` is where the file and the environment come in."""
        return (init_settings,)

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


DEFAULTS = HarvesterConfig()  # what every setting is when nothing sets it


def load_config(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> HarvesterConfig:
    """Read the settings once: `HARVESTER_CONFIG` (or ./harvester.toml if present), then `HARVESTER_*` variables.
    ConfigError names the file or variable, the section and the field of every mistake."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    named = env.get("HARVESTER_CONFIG")
    path = Path(named) if named else cwd / DEFAULT_CONFIG_FILE
    if named and not path.exists():
        raise ConfigError(f"HARVESTER_CONFIG names {path}, which does not exist")
    found = path if path.exists() else None
    file = ConfigFileSource(HarvesterConfig, path)
    if "config_file" in file.toml_data:
        raise ConfigError(f"{path}: unknown key 'config_file' (the file is named by HARVESTER_CONFIG)")
    environment = EnvSource(HarvesterConfig, env, file.toml_data, path.parent if found else cwd)
    given = InitSettingsSource(HarvesterConfig, {"config_file": found, "state_dir": default_state_dir(env)})
    sources = (environment, file, given, DefaultSettingsSource(HarvesterConfig))
    try:
        return HarvesterConfig(_build_sources=(sources, {}))  # type: ignore[call-arg]  # pydantic-settings own
    except ValidationError as error:
        raise config_error(error, str(found or "defaults"), HarvesterConfig, environment.origins) from error
