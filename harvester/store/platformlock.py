"""One harvest of a platform at a time, whichever command, process or machine starts it.

The lock lives with the store, so every harvester writing to one database sees it: on PostgreSQL a session
advisory lock (the server drops it when the session ends, also when the holder is killed), on SQLite an flock'd
file beside the database file (`<db>.locks/<slug>.lock`, see RunLock: the kernel drops it when the holder dies).
An in-memory SQLite database is one process's own: nothing to lock.

On PostgreSQL one process holds all its platforms' locks on one connection (LockSession): a process harvesting
25 platforms uses one connection for its locks, not 25 (a 300-site fleet would otherwise exhaust the server's
`max_connections`). The session knows which platforms it holds, so a second lock of a held platform in the same
process is refused as another process's would be (advisory locks stack within one session).

Board shards (distributed mode: a large platform's boards split into tasks) lock per shard: a shard takes the
platform's lock shared and its own (`<slug>.shard-2-of-4`) exclusively, so two shards of one platform run at once
while one shard never runs twice, and a harvest of the whole platform (exclusive) never runs beside any shard.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from harvester.runlock import RunLock, try_flock
from harvester.timeutil import to_shanghai

# pg_try_advisory_lock(int4, int4): this namespace, and a hash of the schema and slug, computed by the server
# (advisory locks are database-wide; two stores in two schemas must not block each other). Two slugs sharing a
# hash only queue behind each other.
ADVISORY_CLASS = 0x6C79_706C  # "lypl"
_KEY = "hashtext(current_schema() || '/' || :slug)"
WAIT_POLL_S = 0.5
BUSY_EXIT = 75  # EX_TEMPFAIL: `harvester harvest` refused a platform another harvest holds; try again later
_SAFE_SLUG = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_SHARD = re.compile(r"^([1-9][0-9]*)/([1-9][0-9]*)$")
_HOLDER = """SELECT a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::text::bigint = :cls
AND l.objid::text::bigint = (hashtext(current_schema() || '/' || :slug)::bigint & 4294967295)"""


def _params(slug: str) -> dict[str, Any]:
    return {"cls": ADVISORY_CLASS, "slug": slug}


class PlatformBusy(RuntimeError):
    """Another harvest of the platform holds its lock."""


def shard_key(slug: str, shard: str) -> str:
    """The lock key of the platform's board shard `shard` ("2/4": the second of four): `<slug>.shard-2-of-4`."""
    found = _SHARD.match(shard)
    if found is None or int(found.group(1)) > int(found.group(2)):
        raise ValueError(f"a board shard is written INDEX/COUNT with 1 <= INDEX <= COUNT, not {shard!r}")
    return f"{slug}.shard-{found.group(1)}-of-{found.group(2)}"


class SharedFileLock:
    """`flock(LOCK_SH | LOCK_NB)` on a SQLite store's platform lock file: any number of shards hold it at once,
    none while a harvest of the whole platform holds it exclusively (RunLock), nor that one while they do."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is None:
            self._fd = try_flock(self.path, fcntl.LOCK_SH)
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the lock


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
        self._held: set[str] = set()  # keys held exclusively
        self._shared: Counter[str] = Counter()  # keys held shared, how many times (shared locks stack)

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
        """The keys (platforms, shards) whose locks this session holds, exclusively or shared."""
        with self._guard:
            return frozenset(self._held | set(self._shared))

    def backend_pid(self) -> int | None:
        """The server process of the session's connection, None while it holds nothing."""
        with self._guard:
            if self._connection is None:
                return None
            return int(self._connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def try_lock(self, slug: str, shared: bool = False) -> bool:
        """Take the lock of key `slug` (a platform, or a shard's key) without waiting, exclusive or `shared`;
        False when another process, or another holder in this one, has it in a mode that excludes this one."""
        with self._guard:
            if slug in self._held or (not shared and self._shared[slug]):
                return False  # the server would grant it: a session's own locks never conflict
            connection = self._connect()
            suffix = "_shared" if shared else ""
            try:
                taken = bool(connection.execute(text(f"SELECT pg_try_advisory_lock{suffix}(:cls, {_KEY})"),
                                                _params(slug)).scalar())
            except Exception:
                self._drop()
                raise
            if taken and shared:
                self._shared[slug] += 1
            elif taken:
                self._held.add(slug)
            elif not self._holds_any():
                self._drop()
            return taken

    def unlock(self, slug: str, shared: bool = False) -> None:
        """Release the lock of key `slug` taken in that mode (a no-op when not held); the connection closes with
        the last lock."""
        with self._guard:
            if not (self._shared[slug] if shared else slug in self._held):
                return
            if shared:
                self._shared[slug] -= 1
                self._shared += Counter()  # drops keys no longer held
            else:
                self._held.discard(slug)
            if not self._holds_any():
                self._drop()  # closing the session drops the lock
                return
            suffix = "_shared" if shared else ""
            try:
                connection = self._connection
                assert connection is not None
                connection.execute(text(f"SELECT pg_advisory_unlock{suffix}(:cls, {_KEY})"), _params(slug))
            except Exception:
                self._held.clear()  # a broken connection: the server has dropped every lock of the session
                self._shared.clear()
                self._drop()
                raise

    def _holds_any(self) -> bool:
        return bool(self._held or self._shared)

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
    """The harvest lock of platform `slug` in the store at `db_url`, or of its board shard `shard` ("2/4") when
    given (the platform's lock shared, the shard's exclusive); `acquire` takes it or says it is busy."""

    def __init__(self, db_url: str, slug: str, shard: str | None = None) -> None:
        self.db_url, self.slug, self.shard = db_url, slug, shard
        self.key = slug if shard is None else shard_key(slug, shard)
        self.postgres = make_url(db_url).get_backend_name() == "postgresql"
        self._session: LockSession | None = None
        self._file: RunLock | None = None
        self._platform_share: SharedFileLock | None = None
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
        if self._platform_share is not None:
            self._platform_share.release()
        if self._session is not None:
            session, self._session = self._session, None
            session.unlock(self.key)
            if self.shard is not None:
                session.unlock(self.slug, shared=True)

    def holder(self) -> str:
        """Who holds the lock, as far as the store can tell ("pid 12 on host-a, started …"), or ""."""
        if not self.postgres:
            path = lock_file(self.db_url, self.key)
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
        if self.shard is not None:
            return (f"{self.slug} shard {self.shard}: not harvested: another harvest of this shard, or of the whole "
                    f"platform, is running{who}; it holds the lock in the store until it ends")
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
        return _params(self.key)

    def _try(self) -> bool:
        if self._held:
            return True
        self._held = self._try_postgres() if self.postgres else self._try_files()
        return self._held

    def _try_files(self) -> bool:
        path, platform_path = lock_file(self.db_url, self.key), lock_file(self.db_url, self.slug)
        if path is None or platform_path is None:
            return True  # an in-memory database: one process's own
        if self.shard is not None:
            self._platform_share = self._platform_share or SharedFileLock(platform_path)
            if not self._platform_share.acquire():
                return False
        self._file = self._file or RunLock(path)
        if not self._file.acquire():
            if self._platform_share is not None:
                self._platform_share.release()
            return False
        return True

    def _try_postgres(self) -> bool:
        session = LockSession.for_url(self.db_url)
        if self.shard is not None and not session.try_lock(self.slug, shared=True):
            return False
        if not session.try_lock(self.key):
            if self.shard is not None:
                session.unlock(self.slug, shared=True)
            return False
        self._session = session
        return True
