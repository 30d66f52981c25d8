"""The front end's request signature and the releases (appCode + app.<hash>.js) that change it."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

REAL_APP_CODE = "PC42ce3bfa4980a9"  # inline on the real pages as window.SITE_CONFIG['appCode']
SN0006 = {"code": "SN0006", "msg": "数据格式错误"}


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def app_key(app_code: str) -> str:
    """The signing key the app derives from its appCode: md5_hex(appCode)[:16]."""
    return md5_hex(app_code)[:16]


def sign(path: str, param: str, app_code: str, token: str = "") -> str:
    """md5_hex(path_without_query + param + key + token), over the exact `param` string sent."""
    return md5_hex(path.split("?", 1)[0] + param + app_key(app_code) + token)


@dataclass(frozen=True)
class Release:
    """One front-end build: the appCode it signs with and the file name of its bundle."""

    number: int
    app_code: str
    bundle_hash: str

    @property
    def script_path(self) -> str:
        return f"/pcjs/app.{self.bundle_hash}.js"


def release(seed: int, number: int) -> Release:
    """Release `number` of this replica; release 0 carries the real appCode."""
    digest = md5_hex(f"people/{seed}/release/{number}")
    app_code = REAL_APP_CODE if number == 0 else "PC" + digest[:14]
    return Release(number, app_code, digest[14:22])


def verify(path: str, body: bytes, current: Release) -> dict[str, Any] | None:
    """The business params of a signed request, or None when the four-piece body does not verify.

    The server signs the `param` string exactly as received, so a client that re-serialises its params with
    other spacing or key order fails, as on the real site. A stale appCode fails even if self-consistent."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(envelope, dict):
        return None
    app_code, token = envelope.get("appCode"), envelope.get("token", "")
    param, signature = envelope.get("param"), envelope.get("signature")
    if not (isinstance(app_code, str) and isinstance(token, str) and isinstance(param, str)
            and isinstance(signature, str)):
        return None
    if app_code != current.app_code or not hmac.compare_digest(sign(path, param, app_code, token), signature):
        return None
    try:
        params = json.loads(param)
    except ValueError:
        return None
    return params if isinstance(params, dict) else None
