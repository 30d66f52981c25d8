"""Per-account platform credentials from the environment or a TOML secrets file; never logged or stored.

Environment: `HARVESTER_ACCOUNT_<SLUG>_<ACCOUNT>_USERNAME`, `..._PASSWORD`, `..._TOTP_SECRET` (slug and account
upper-cased), e.g. HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD. Secrets file (`secrets_file` in the config or
HARVESTER_SECRETS_FILE):

    [accounts.jact_demo.zjj]
    username = "zjj"
    password = "…"
    totp_secret = "…"   # only for back offices with a one-time code

A variable wins over the file, field by field. The file must be private, as ssh insists for keys: one that
others may read or anyone but its owner may write is refused (use mode 0600, or 0640 for a service group).
Every password and TOTP secret is registered with `harvester.logsafety`, so it is masked in every log line
even if some code path prints it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harvester import logsafety
from harvester.config import ConfigError

# Group write or execute, and any permission for others: a file others can read or replace is not a secret.
UNSAFE_MODE_BITS = 0o037
FIELDS = ("username", "password", "totp_secret")
SECRET_FIELDS = ("password", "totp_secret")
ENV_PREFIX = "HARVESTER_ACCOUNT_"


class MissingCredentials(LookupError):
    """No username and password for an account; the message names where to put them, never a value."""


def env_name(platform: str, account: str, name: str) -> str:
    """The variable holding one field of one account's credentials."""
    return f"{ENV_PREFIX}{platform.upper()}_{account.upper()}_{name.upper()}"


def check_private(path: Path) -> None:
    """ConfigError unless only the owner (and, read-only, the group) can get at the secrets file."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError as error:
        raise ConfigError(f"secrets file {path} does not exist") from error
    if mode & UNSAFE_MODE_BITS:
        raise ConfigError(f"secrets file {path} is too open (mode {mode:04o}: "
                          f"{'others can read it' if mode & 0o004 else 'others than its owner can change it'}); "
                          f"refusing to use the passwords in it. Run: chmod 600 {path}")


def _read_file(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    check_private(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"secrets file {path} does not exist") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"secrets file {path}: {error}") from error
    accounts: dict[tuple[str, str], dict[str, str]] = {}
    for platform, table in dict(data.get("accounts", {})).items():
        for account, values in dict(table).items():
            unknown = set(values) - set(FIELDS)
            if unknown:
                raise ConfigError(f"secrets file {path}: [accounts.{platform}.{account}] unknown {sorted(unknown)}")
            accounts[(platform, account)] = {k: str(v) for k, v in values.items()}
    return accounts


class Secrets:
    """Credentials by (platform slug, account). `repr` shows which accounts exist, never a value."""

    def __init__(self, from_file: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self._file = {key: dict(values) for key, values in (from_file or {}).items()}
        self._env = {k: v for k, v in (os.environ if env is None else env).items() if k.startswith(ENV_PREFIX)}
        for values in self._file.values():
            for name in SECRET_FIELDS:
                logsafety.register_secret(values.get(name))
        for name, value in self._env.items():
            if name.endswith(("_PASSWORD", "_TOTP_SECRET")):
                logsafety.register_secret(value)

    @classmethod
    def load(cls, secrets_file: Path | None, env: Mapping[str, str] | None = None) -> Secrets:
        """Read the secrets file (if any) and the `HARVESTER_ACCOUNT_*` variables."""
        return cls(_read_file(secrets_file) if secrets_file else {}, env)

    def _field(self, platform: str, account: str, name: str) -> str | None:
        value = self._env.get(env_name(platform, account, name))
        return value if value else self._file.get((platform, account), {}).get(name) or None

    def has(self, platform: str, account: str) -> bool:
        """Whether a username and a password are known for the account."""
        return all(self._field(platform, account, name) for name in ("username", "password"))

    def credentials(self, platform: str, account: str) -> dict[str, str]:
        """{username, password[, totp_secret]} for the account; MissingCredentials when incomplete."""
        found = {name: self._field(platform, account, name) for name in FIELDS}
        if not (found["username"] and found["password"]):
            raise MissingCredentials(
                f"no credentials for account {account!r} on {platform}: set {env_name(platform, account, 'username')}"
                f" and {env_name(platform, account, 'password')} (or [accounts.{platform}.{account}] in the "
                "secrets file)")
        return {name: value for name, value in found.items() if value}

    def lookup_for(self, platform: str) -> Any:
        """The `credentials_lookup(account)` a reply adapter of `platform` takes."""
        return lambda account: self.credentials(platform, account)

    def __repr__(self) -> str:
        accounts = sorted({f"{p}/{a}" for p, a in self._file} | {n[len(ENV_PREFIX):] for n in self._env})
        return f"Secrets({len(accounts)} account entries)"
