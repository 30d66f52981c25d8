"""The console's own settings: a view on `[console]` of the settings object, read once when the app is made.

`[console]` `secure_cookies` (HARVESTER_CONSOLE_SECURE_COOKIES; on by default: the session cookie goes over https
only; switch off for http://127.0.0.1), `session_hours` (HARVESTER_CONSOLE_SESSION_HOURS, 10) and `export_limit`.
Whether a user may approve their own draft follows the API's `allow_self_approval` (`[api]`): one rule for both.
"""

from __future__ import annotations

from dataclasses import dataclass

from harvester.config import ConsoleSection, HarvesterConfig

DEFAULT = ConsoleSection()  # the defaults live in harvester.config


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """`secure_cookies`: the Secure flag on the session cookie. `session_hours`: how long a sign-in lasts.
    `export_limit`: the most rows one CSV/XLSX export holds."""

    secure_cookies: bool = DEFAULT.secure_cookies
    session_hours: float = DEFAULT.session_hours
    export_limit: int = DEFAULT.export_limit


def load_console_settings(config: HarvesterConfig) -> ConsoleSettings:
    """The console settings of `config` (`[console]` of the file, HARVESTER_CONSOLE_* on top)."""
    return ConsoleSettings(**config.console.model_dump())
