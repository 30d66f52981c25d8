"""One harvest of a platform at a time, whichever command, process or machine starts it.

The lock lives with the store, so every harvester writing to one database sees it: on PostgreSQL a session
advisory lock (the server drops it when the session ends, also when the holder is killed), on SQLite an flock'd
file beside the database file (`<db>.locks/<slug>.lock`, see RunLock: the kernel drops it when the holder dies).
An in-memory SQLite database is one process's own: nothing to lock.

On PostgreSQL one process holds all its platforms' locks on one connection (LockSession): a process harvesting
25 platforms uses one connection for its locks, not 25 (a 300-site fleet would otherwise exhaust the server's
`max_connections`). The session knows which platforms it holds, so a second lock of a held platform in the same
process is refused as another process's would be (advisory locks stack within one session).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from harvester.runlock import RunLock
from harvester.timeutil import to_shanghai

# pg_try_advisory_lock(int4, int4): this namespace, and a hash of the schema and slug, computed by the server
# (advisory locks are database-wide; two stores in two schemas must not block each other). Two slugs sharing a
# hash only queue behind each other.
ADVISORY_CLASS = 0x6C79_706C  # "lypl"
_KEY = "hashtext(current_schema() || '/' || :slug)"
WAIT_POLL_S = 0.5
BUSY_EXIT = 75  # EX_TEMPFAIL: `harvester harvest` refused a platform another harvest holds; try again later
_SAFE_SLUG = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_HOLDER = """SELECT a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::text::bigint = :cls
AND l.objid::text::bigint = (hashtext(current_schema() || '/' || :slug)::bigint & 4294967295)"""


def _params(slug: str) -> dict[str, Any]:
    return {"cls": ADVISORY_CLASS, "slug": slug}


class PlatformBusy(RuntimeError):
    """Another harvest of the platform holds its lock."""


def lock_file(db_url: str, slug: str) -> Path | None:
    """The SQLite store's lock file for `slug`, or None for an in-memory database."""
    database = make_url(db_url).database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    name = slug if _SAFE_SLUG.match(slug) and slug not in (".", "..") else slug.encode("utf-8").hex()
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".locks") / f"{name}.lock"


class LockSession:
    """This process's connection holding its platforms' advisory locks in one PostgreSQL database; opened by the
    first lock taken, closed when the last is released (so an idle process holds no connection)."""

    _sessions: dict[tuple[int, str], LockSession] = {}
    _registry_guard = threading.Lock()
    _inherited: list[LockSession] = []  # a forked child's copies of its parent's sessions: never closed here

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._guard = threading.Lock()
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._held: set[str] = set()

    @classmethod
    def for_url(cls, db_url: str) -> LockSession:
        """The session of this process for the database at `db_url`."""
        pid = os.getpid()
        with cls._registry_guard:
            for key in [key for key in cls._sessions if key[0] != pid]:  # forked: the socket is the parent's;
                cls._inherited.append(cls._sessions.pop(key))  # closing it would end the parent's locks
            session = cls._sessions.get((pid, db_url))
            if session is None:
                session = cls._sessions[(pid, db_url)] = cls(db_url)
            return session

    @property
    def held(self) -> frozenset[str]:
        """The platforms whose locks this session holds."""
        with self._guard:
            return frozenset(self._held)

    def backend_pid(self) -> int | None:
        """The server process of the session's connection, None while it holds nothing."""
        with self._guard:
            if self._connection is None:
                return None
            return int(self._connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def try_lock(self, slug: str) -> bool:
        """Take the platform's lock without waiting; False when another process, or another holder in this one,
        has it."""
        with self._guard:
            if slug in self._held:
                return False
            connection = self._connect()
            try:
                taken = bool(connection.execute(text(f"SELECT pg_try_advisory_lock(:cls, {_KEY})"),
                                                _params(slug)).scalar())
            except Exception:
                self._drop()
                raise
            if taken:
                self._held.add(slug)
            elif not self._held:
                self._drop()
            return taken

    def unlock(self, slug: str) -> None:
        """Release the platform's lock (a no-op when not held); the connection closes with the last lock."""
        with self._guard:
            if slug not in self._held:
                return
            self._held.discard(slug)
            if not self._held:
                self._drop()  # closing the session drops the lock
                return
            try:
                connection = self._connection
                assert connection is not None
                connection.execute(text(f"SELECT pg_advisory_unlock(:cls, {_KEY})"), _params(slug))
            except Exception:
                self._held.clear()  # a broken connection: the server has dropped every lock of the session
                self._drop()
                raise

    def _connect(self) -> Connection:
        if self._connection is not None:
            return self._connection
        if self._engine is None:  # a connection of its own, outside any pool and any transaction
            self._engine = create_engine(make_url(self.db_url), poolclass=NullPool, hide_parameters=True,
                                         isolation_level="AUTOCOMMIT")
        connection = self._engine.connect()
        name = f"harvester harvest pid {os.getpid()} on {socket.gethostname()}"[:63]
        try:
            connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})
        except Exception:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                connection.close()
        finally:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


class PlatformLock:
    """The harvest lock of platform `slug` in the store at `db_url`; `acquire` takes it or says it is busy."""

    def __init__(self, db_url: str, slug: str) -> None:
        self.db_url, self.slug = db_url, slug
        self.postgres = make_url(db_url).get_backend_name() == "postgresql"
        self._session: LockSession | None = None
        self._file: RunLock | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock, waiting up to `wait_s` seconds for a holder to finish; False when still busy."""
        deadline = time.monotonic() + wait_s
        while not self._try():
            if time.monotonic() >= deadline:
                return False
            time.sleep(WAIT_POLL_S)
        return True

    def release(self) -> None:
        """Drop the lock; a no-op when not held."""
        if not self._held:
            return
        self._held = False
        if self._file is not None:
            self._file.release()
        if self._session is not None:
            session, self._session = self._session, None
            session.unlock(self.slug)

    def holder(self) -> str:
        """Who holds the lock, as far as the store can tell ("pid 12 on host-a, started …"), or ""."""
        if not self.postgres:
            path = lock_file(self.db_url, self.slug)
            record: dict[str, Any] = (RunLock(path).holder() or {}) if path else {}
            return (f"pid {record.get('pid', '?')} on {record.get('host', '?')}, started {record.get('started', '?')}"
                    if record else "")
        engine = create_engine(make_url(self.db_url), poolclass=NullPool, hide_parameters=True)
        try:
            with engine.connect() as connection:
                row = connection.execute(text(_HOLDER), self._params()).first()
        finally:
            engine.dispose()
        if row is None:
            return ""
        name, address, since = row
        where = f" from {address}" if address else ""
        return f"{name or 'a PostgreSQL session'}{where}, started {to_shanghai(since).isoformat(timespec='seconds')}"

    def refusal(self) -> str:
        """The one line a refused harvest prints."""
        holder = self.holder()
        who = f" ({holder})" if holder else ""
        return (f"{self.slug}: not harvested: another harvest of this platform is running{who}; "
                "it holds the platform's lock in the store until it ends")

    def __enter__(self) -> PlatformLock:
        if not self.acquire():
            raise PlatformBusy(self.refusal())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def _params(self) -> dict[str, Any]:
        return _params(self.slug)

    def _try(self) -> bool:
        if self._held:
            return True
        if not self.postgres:
            path = lock_file(self.db_url, self.slug)
            if path is not None:
                self._file = self._file or RunLock(path)
                if not self._file.acquire():
                    return False
            self._held = True
            return True
        session = LockSession.for_url(self.db_url)
        if not session.try_lock(self.slug):
            return False
        self._session, self._held = session, True
        return True
