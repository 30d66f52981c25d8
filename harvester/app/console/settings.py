"""The console's own settings, read once at the edge and kept on the app.

Read from HARVESTER_CONSOLE_SECURE_COOKIES (default on: the session cookie is sent over https only; switch off for
http://127.0.0.1) and HARVESTER_CONSOLE_SESSION_HOURS (default 10, a working day). Whether a user may approve their
own draft follows the API's `allow_self_approval` (HARVESTER_API_ALLOW_SELF_APPROVAL): one rule for both doors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """`secure_cookies`: the Secure flag on the session cookie. `session_hours`: how long a sign-in lasts.
    `export_limit`: the most rows one CSV/XLSX export holds."""

    secure_cookies: bool = True
    session_hours: float = 10.0
    export_limit: int = 20000


def load_console_settings(env: Mapping[str, str] | None = None) -> ConsoleSettings:
    env = os.environ if env is None else env
    return ConsoleSettings(
        secure_cookies=env.get("HARVESTER_CONSOLE_SECURE_COOKIES", "").strip().lower() not in FALSE,
        session_hours=float(env.get("HARVESTER_CONSOLE_SESSION_HOURS", 10.0)),
    )
