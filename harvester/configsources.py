"""Where settings come from: the config file and the `HARVESTER_*` variables as pydantic-settings sources, and
validation errors turned into one line naming the file (or variable), the section and the field."""

from __future__ import annotations

import os
import tomllib
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, InitSettingsSource, TomlConfigSettingsSource

Loc = tuple[str | int, ...]


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the source and the key."""


# Keys of the config file holding paths, resolved against the file's folder.
FILE_PATHS: tuple[Loc, ...] = (("state_dir",), ("secrets_file",), ("run", "lock_path"), ("run", "textfile"),
                                ("checks", "holidays_file"))


class ConfigFileSource(TomlConfigSettingsSource):
    """The config file (TOML) with its relative paths made relative to its own folder."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        self.path = path
        super().__init__(settings_cls, toml_file=path)

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        try:
            data = super()._read_file(file_path)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{file_path}: {error}") from error
        base = file_path.parent
        for loc in FILE_PATHS:
            table = _table(data, loc[:-1])
            if isinstance(table, dict) and isinstance(table.get(loc[-1]), str):
                table[loc[-1]] = str(base / table[loc[-1]])
        if isinstance(data.get("platforms_dirs"), list):
            data["platforms_dirs"] = [str(base / d) if isinstance(d, str) else d for d in data["platforms_dirs"]]
        return data


def _table(data: Mapping[str, Any], loc: Loc) -> Any:
    """The table at `loc` in `data` (None where something else sits)."""
    for key in loc:
        data = data.get(key) if isinstance(data, dict) else None  # type: ignore[assignment, arg-type]
    return data


# --- the environment -----------------------------------------------------------------------------
Parse = Callable[[str, Mapping[str, str], Mapping[str, Any], Path], Any]


def _text(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
    return value


def _comma_list(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
    return [part.strip() for part in value.split(",") if part.strip()]


def _dirs_after_the_file(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
    """HARVESTER_PLATFORMS_DIRS (os.pathsep-separated) adds to the file's `platforms_dirs`."""
    listed = data.get("platforms_dirs", [])
    return [*(listed if isinstance(listed, list) else []), *(d for d in value.split(os.pathsep) if d)]


def _beside_the_file(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
    return str(base / value)


def _staging_urls(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
    """HARVESTER_STAGING_URLS="slug=url,slug=url" on top of `[replies.staging_urls]`."""
    urls = dict(_table(data, ("replies", "staging_urls")) or {})
    for item in filter(None, (part.strip() for part in value.split(","))):
        slug, sep, url = item.partition("=")
        if not sep or not url.strip():
            raise ConfigError(f"HARVESTER_STAGING_URLS: expected slug=url, got {item!r}")
        urls[slug.strip()] = url.strip()
    return urls


def _webhook_named(name: str, section: Loc) -> Parse:
    """A variable holding a webhook URL adds a webhook that names it (`url_env`): the URL stays out of the
    settings object, read where the alert is sent, like every other secret."""
    def parse(value: str, env: Mapping[str, str], data: Mapping[str, Any], base: Path) -> Any:
        listed = _table(data, (*section, "webhooks"))
        style = env.get(f"{name.removesuffix('_URL')}_STYLE") or "generic"
        return [*(listed if isinstance(listed, list) else []), {"url_env": name, "style": style}]
    return parse


REPLY_NUMBERS = ("max_attempts", "attempts_per_push", "backoff_initial_s", "backoff_max_s", "max_inline_wait_s",
                 "auth_retry_after_s", "sending_lease_s", "call_timeout_s", "unverified_after_runs")
DISTRIBUTED_KEYS = ("broker_url", "per_task", "http_concurrency", "browser_concurrency", "visibility_timeout",
                    "task_timeout_minutes", "beat_hours", "busy_retry_seconds", "shard_boards")
# Every variable the settings honour: name -> (where it goes in the settings, how its text is read).
# HARVESTER_CONFIG chooses the file; HARVESTER_ACCOUNT_* (secrets.py), HARVESTER_CHROMIUM (the browser) and
# HARVESTER_DEBUG_CRASH_AT (crash sweeps) are read where they are used, and are not settings.
ENV_VARS: dict[str, tuple[Loc, Parse]] = {
    "HARVESTER_DB_URL": (("db_url",), _text),
    "HARVESTER_PLATFORMS": (("enabled",), _comma_list),
    "HARVESTER_PLATFORMS_DIRS": (("platforms_dirs",), _dirs_after_the_file),
    "HARVESTER_RECHECK_AFTER_HOURS": (("recheck_after_hours",), _text),
    "HARVESTER_RECHECK_LIMIT": (("recheck_limit",), _text),
    "HARVESTER_BATCH_SIZE": (("batch_size",), _text),
    "HARVESTER_LINK_COPIES": (("link_copies",), _text),
    "HARVESTER_LOG_LEVEL": (("log_level",), _text),
    "HARVESTER_SECRETS_FILE": (("secrets_file",), _text),
    "HARVESTER_STATE_DIR": (("state_dir",), _text),
    "HARVESTER_REPLICA_PLATFORMS": (("replica_platforms",), _text),
    "HARVESTER_LOCK_PATH": (("run", "lock_path"), _beside_the_file),
    "HARVESTER_TEXTFILE": (("run", "textfile"), _beside_the_file),
    "HARVESTER_HOLIDAYS_FILE": (("checks", "holidays_file"), _text),
    **{f"HARVESTER_REPLY_{key.upper()}": (("replies", key), _text) for key in REPLY_NUMBERS},
    "HARVESTER_STAGING": (("replies", "staging"), _text),
    "HARVESTER_STAGING_URLS": (("replies", "staging_urls"), _staging_urls),
    "HARVESTER_ALERT_WEBHOOK_URL": (("alerts", "webhooks"), _webhook_named("HARVESTER_ALERT_WEBHOOK_URL", ("alerts",))),
    "HARVESTER_OVERDUE_WEBHOOK_URL": (("alerts", "overdue", "webhooks"),
                                      _webhook_named("HARVESTER_OVERDUE_WEBHOOK_URL", ("alerts", "overdue"))),
    "HARVESTER_API_ALLOW_SELF_APPROVAL": (("api", "allow_self_approval"), _text),
    "HARVESTER_API_MAX_WAIT_S": (("api", "max_wait_s"), _text),
    "HARVESTER_API_RATE_PER_S": (("api", "rate_per_s"), _text),
    "HARVESTER_API_BURST": (("api", "burst"), _text),
    **{f"HARVESTER_DISTRIBUTED_{key.upper()}": (("distributed", key), _comma_list if key == "beat_hours" else _text)
       for key in DISTRIBUTED_KEYS},
    "HARVESTER_BROKER_URL": (("distributed", "broker_url"), _text),  # after HARVESTER_DISTRIBUTED_BROKER_URL: wins
    "HARVESTER_VISIBILITY_TIMEOUT": (("distributed", "visibility_timeout"), _text),
    "HARVESTER_CONSOLE_SECURE_COOKIES": (("console", "secure_cookies"), _text),
    "HARVESTER_CONSOLE_SESSION_HOURS": (("console", "session_hours"), _text),
}
# Variables that only qualify another one.
QUALIFIERS = ("HARVESTER_ALERT_WEBHOOK_STYLE", "HARVESTER_OVERDUE_WEBHOOK_STYLE")


class EnvSource(InitSettingsSource):
    """The `HARVESTER_*` variables of `ENV_VARS` (empty ones count as unset), placed where they belong in the
    settings; `origins` remembers which variable set what, for error messages."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str], file_data: Mapping[str, Any],
                 base: Path) -> None:
        values: dict[str, Any] = {}
        self.origins: dict[Loc, str] = {}
        for name, (loc, parse) in ENV_VARS.items():
            if env.get(name, "").strip():
                table = values
                for key in loc[:-1]:
                    table = table.setdefault(str(key), {})
                table[str(loc[-1])] = parse(env[name].strip(), env, file_data, base)
                self.origins[loc] = name
        super().__init__(settings_cls, values)


# --- errors --------------------------------------------------------------------------------------
PROBLEMS = {
    "bool_parsing": "must be true or false", "bool_type": "must be true or false",
    "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number", "float_type": "must be a number",
    "string_type": "must be text", "path_type": "must be a path (text)", "list_type": "must be a list",
    "tuple_type": "must be a list", "dict_type": "must be a table", "model_type": "must be a table",
    "missing": "is missing", "too_short": "must not be empty",
}


def _problem(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if error["type"] in bounds:
        limit = next(iter(ctx.values()))
        return f"must be {bounds[error['type']]} {limit}"
    if error["type"] == "literal_error":
        return f"must be {str(ctx.get('expected')).replace(chr(39), '')}"
    return PROBLEMS.get(error["type"], str(error["msg"]).lower())


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The section model the key path `loc` leads to (through lists and optional values)."""
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) or next(
            (f for f in model.model_fields.values() if f.validation_alias == key), None)
        if field is None:
            return None
        found = _model_in(field.annotation)
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, tuple, Union, types.UnionType):
        return next((m for m in map(_model_in, get_args(annotation)) if m is not None), None)
    return None


def _known_keys(model: type[BaseModel] | None) -> str:
    if model is None:
        return ""
    names = sorted(str(f.validation_alias or name) for name, f in model.model_fields.items()
                   if name != "config_file")
    return f"; known: {', '.join(names)}"


def _section(loc: Loc) -> tuple[str, str]:
    """`("alerts", "webhooks", 0, "style")` -> ("[alerts.webhooks] #1", "style"); top-level keys: ("", key)."""
    *path, field = loc
    if not path:
        return "", str(field)
    if isinstance(path[-1], int):
        return f"[{'.'.join(map(str, path[:-1]))}] #{path[-1] + 1}", str(field)
    return f"[{'.'.join(map(str, path))}]", str(field)


def config_error(error: ValidationError, source: str, model: type[BaseModel],
                 origins: Mapping[Loc, str] | None = None, prefix: Loc = ()) -> ConfigError:
    """One line per mistake: `source: [section] field must be ..., got value`, or the variable that set it.
    `prefix`: where in the file the table `model` validated sits."""
    lines = []
    for item in error.errors():
        loc: Loc = (*prefix, *item["loc"])
        if item["type"] == "extra_forbidden":
            section, field = _section(loc)
            where = f"{source}: {section}:" if section else f"{source}:"
            known = _known_keys(_model_at(model, tuple(item["loc"])[:-1]))
            lines.append(f"{where} unknown key {field!r}{known}")
            continue
        variable = next((origins[loc[:n]] for n in range(len(loc), 0, -1) if origins and loc[:n] in origins), None)
        section, field = _section(loc)
        if variable is not None:
            where, field = variable, ".".join(map(str, loc))
        else:
            where = f"{source}: {section}" if section else source
        got = "" if item["type"] == "missing" else f", got {item['input']!r}"
        lines.append(f"{where}: {field} {_problem(item)}{got}" if variable or not section
                     else f"{where} {field} {_problem(item)}{got}")
    return ConfigError("\n".join(lines))
