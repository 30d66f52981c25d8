"""Where credentials may go: only over https, except to a loopback replica or in an explicit staging rehearsal."""

from __future__ import annotations

from urllib.parse import urlsplit

from harvester.loopback import is_loopback


def credential_transport_problem(url: str, staging: bool = False) -> str | None:
    """Why a login (username, password, one-time code) must not be sent to `url`, or None when it may.

    Back-office logins over plain http hand the password to anyone on the path. http is allowed only to a
    loopback address (the local replicas) and, with `staging` switched on (`[replies] staging = true` or
    HARVESTER_STAGING=1), to the staging replicas a rehearsal names."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and (is_loopback(parts.hostname) or staging)):
        return None
    where = f"{parts.scheme}://{parts.hostname or ''}"
    if parts.scheme != "http":
        return f"refusing to send credentials to {where}: not an http(s) URL"
    return (f"refusing to send credentials over plain http to {where}: use its https address (plain http only "
            "to loopback replicas or with [replies] staging = true)")
