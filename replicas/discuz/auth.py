"""Members' sessions: the per-site cookie prefix, login with a retry budget, and session-bound formhash."""

from __future__ import annotations

import hashlib
import random
import secrets
import string
from dataclasses import dataclass

from replicas.discuz.model import User

LOGIN_TRIES = 5
LOGIN_FAILED = "登录失败，您还可以尝试 {left} 次"
LOCKED_OUT = "密码错误次数过多，请 15 分钟后重新登录"


@dataclass(frozen=True)
class Session:
    """A logged-in visitor, known by the `<cookiepre>auth` cookie."""

    token: str
    user: User
    formhash: str


class Sessions:
    """The session table. Cookie names carry a random per-site prefix such as `B7Y9_2f85_`."""

    def __init__(self, name: str, seed: int, users: dict[str, User]) -> None:
        rng = random.Random(f"discuz/{name}/{seed}/cookiepre")
        head = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(4))
        self.cookiepre = f"{head}_{rng.getrandbits(16):04x}_"
        self._secret = secrets.token_hex(16)
        self._users = users
        self._live: dict[str, Session] = {}
        self._failures: dict[str, int] = {}

    @property
    def auth_cookie(self) -> str:
        return self.cookiepre + "auth"

    @property
    def saltkey_cookie(self) -> str:
        return self.cookiepre + "saltkey"

    def login(self, username: str, password: str) -> Session | str:
        """A new session, or the text of the refusal."""
        failures = self._failures.get(username, 0)
        if failures >= LOGIN_TRIES:
            return LOCKED_OUT
        user = self._users.get(username)
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            self._failures[username] = failures + 1
            left = LOGIN_TRIES - failures - 1
            return LOGIN_FAILED.format(left=left) if left else LOCKED_OUT
        self._failures.pop(username, None)
        token = secrets.token_urlsafe(24)
        session = Session(token, user, self._hash(token))
        self._live[token] = session
        return session

    def viewer(self, cookies: dict[str, str]) -> Session | None:
        """The session behind the request's auth cookie, if it is still live."""
        return self._live.get(cookies.get(self.auth_cookie, ""))

    def guest_formhash(self, saltkey: str) -> str:
        """Guests get a formhash too (Discuz derives it from the saltkey); it never authorises a post."""
        return self._hash("guest:" + saltkey)

    def logout(self, session: Session) -> None:
        self._live.pop(session.token, None)

    def expire_all(self) -> int:
        """Drop every session, as when the server's session table is cleared; return how many."""
        count = len(self._live)
        self._live.clear()
        return count

    def __len__(self) -> int:
        return len(self._live)

    def _hash(self, value: str) -> str:
        return hashlib.md5(f"{self._secret}{value}".encode(), usedforsecurity=False).hexdigest()[8:16]
