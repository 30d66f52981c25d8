"""The environment a child process gets: what it needs to run, never credentials it has no use for.

`harvester run` starts harvest and push children, and every browser is a child too; by default each would
inherit the whole environment, reply accounts and alert webhook keys included. A harvest reads public pages and
needs none of them; a push needs the reply accounts but not the alert keys; Chromium needs no secret at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# What any program needs: paths, user, locale, time zone, temp dirs, a display, proxies and CA bundles.
SYSTEM_VARIABLES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "DISPLAY",
    "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    "XDG_STATE_HOME", "FONTCONFIG_PATH", "FONTCONFIG_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy",
    "https_proxy", "no_proxy", "all_proxy", "LD_LIBRARY_PATH",
})
SYSTEM_PREFIXES = ("LC_",)
# A Python child also needs its interpreter's settings, and browsers Playwright's own.
PYTHON_VARIABLES = frozenset({"PYTHONPATH", "PYTHONHOME", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONHASHSEED",
                              "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONWARNINGS", "PYTHONDONTWRITEBYTECODE",
                              "VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT", "PYENV_VERSION", "PLAYWRIGHT_BROWSERS_PATH",
                              "COVERAGE_PROCESS_START"})
# Credentials among the harvester's own variables: reply accounts, anything named like a secret, the alert
# webhooks (their URLs carry the key).
ACCOUNT_PREFIX = "HARVESTER_ACCOUNT_"
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|TOTP|_KEY$|WEBHOOK)", re.IGNORECASE)
# What only a reply push reads (the accounts come from the variables or this file; staging decides where).
PUSH_ONLY = frozenset({"HARVESTER_SECRETS_FILE"})


def _system(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in SYSTEM_VARIABLES or k.startswith(SYSTEM_PREFIXES)}


def browser_env(env: Mapping[str, str]) -> dict[str, str]:
    """What Chromium gets: the system variables only."""
    return _system(env)


def harvest_env(env: Mapping[str, str], secret_names: Iterable[str] = ()) -> dict[str, str]:
    """What a `harvester harvest` child gets: system and Python variables and the harvester's settings, without
    reply accounts, the secrets file, alert webhooks, or any variable in `secret_names` (those the config's
    `*_env` keys name)."""
    dropped = set(secret_names)
    own = {k: v for k, v in env.items() if k.startswith("HARVESTER_") and k not in dropped
           and not k.startswith(ACCOUNT_PREFIX) and not SECRET_NAME.search(k) and k not in PUSH_ONLY}
    return {**_system(env), **{k: v for k, v in env.items() if k in PYTHON_VARIABLES}, **own}


def push_env(env: Mapping[str, str], secret_names: Iterable[str] = ()) -> dict[str, str]:
    """What a `harvester push` child gets: a harvest child's environment plus the reply accounts and the
    secrets file (never the alert webhooks or the variables in `secret_names`)."""
    dropped = set(secret_names)
    accounts = {k: v for k, v in env.items() if (k.startswith(ACCOUNT_PREFIX) or k in PUSH_ONLY) and k not in dropped}
    return {**harvest_env(env, dropped), **accounts}
