"""Back-office accounts (one per board's handling unit, password + TOTP) and their sessions."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field

import pyotp

from replicas.people.boards import Board

SESSION_SECONDS = 30 * 60


@dataclass(frozen=True)
class Account:
    """A handling unit's login. The TOTP secret is base32, as authenticator apps take it."""

    fid: int
    unit: str
    username: str
    password: str
    totp_secret: str

    def public(self) -> dict[str, object]:
        return {"fid": self.fid, "unit": self.unit, "username": self.username, "password": self.password,
                "totp_secret": self.totp_secret}


@dataclass
class Session:
    account: Account
    csrf: str
    expires: float


def make_accounts(seed: int, boards: list[Board], totp_secret: str = "") -> dict[str, Account]:
    """Deterministic credentials per board; `totp_secret` (base32), when given, is shared by all."""
    found = {}
    for board in boards:
        digest = hashlib.sha256(f"people/{seed}/account/{board.fid}".encode()).digest()
        secret = totp_secret or base64.b32encode(digest[:20]).decode()
        account = Account(board.fid, board.unit, f"bo{board.fid}", "Ly#" + digest[20:26].hex(), secret)
        found[account.username] = account
    return found


@dataclass
class Sessions:
    """Logged-in units, known by an opaque cookie; sessions lapse after 30 idle minutes."""

    accounts: dict[str, Account]
    live: dict[str, Session] = field(default_factory=dict)

    def login(self, username: str, password: str, otp: str) -> tuple[str, Session] | None:
        """A new session token, or None for a wrong user, password or one-time code (±1 step tolerated)."""
        account = self.accounts.get(username)
        if account is None or not secrets.compare_digest(account.password.encode(), password.encode()):
            return None
        if not (otp.isdigit() and len(otp) == 6 and pyotp.TOTP(account.totp_secret).verify(otp, valid_window=1)):
            return None
        token = secrets.token_urlsafe(24)
        session = Session(account, secrets.token_hex(16), time.monotonic() + SESSION_SECONDS)
        self.live[token] = session
        return token, session

    def get(self, token: str) -> Session | None:
        session = self.live.get(token)
        if session is None or session.expires < time.monotonic():
            self.live.pop(token, None)
            return None
        session.expires = time.monotonic() + SESSION_SECONDS
        return session

    def logout(self, token: str) -> None:
        self.live.pop(token, None)
