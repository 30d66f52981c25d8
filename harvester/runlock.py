"""A non-blocking exclusive lock file so that two `harvester run`s (two cron ticks) never overlap."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from harvester.timeutil import to_shanghai, utcnow

# A holder truncates and rewrites its record right after locking; a reader may land in between.
_READ_ATTEMPTS = 20
_READ_PAUSE_S = 0.01


def try_flock(path: Path, mode: int) -> int | None:
    """Open (creating) `path` and take `flock(mode | LOCK_NB)` on it: the open fd holding the lock, or None when
    another holder's lock conflicts. os.open makes a non-inheritable fd (PEP 446): a child started by the holder
    (os.system, close_fds=False) must not inherit it, or it would keep the lock alive after the holder died."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class AlreadyRunning(RuntimeError):
    """Another process holds the run lock; `holder` is what it recorded (pid, host, started), maybe empty."""

    def __init__(self, path: Path, holder: dict[str, Any]) -> None:
        self.path = path
        self.holder = holder
        pid = holder.get("pid", "unknown")
        host = f" on {holder['host']}" if holder.get("host") else ""
        started = holder.get("started", "unknown time")
        super().__init__(f"another harvester run (pid {pid}{host}, started {started}) holds {path}; exiting")


class RunLock:
    """`flock(LOCK_EX | LOCK_NB)` on `path`; the holder writes its pid, host and start time into the file.

    The kernel drops a flock when its holder dies, so a file left behind by a killed run never blocks the
    next one: the file's content is only a description, the lock itself is the truth. The file is never
    deleted: unlinking a lock file lets a waiting opener and a new creator hold locks on two different inodes.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; True when taken (or already held by this object), False when busy."""
        if self._fd is not None:
            return True
        fd = try_flock(self.path, fcntl.LOCK_EX)
        if fd is None:
            return False
        self._fd = fd
        self._record(fd)
        return True

    def release(self) -> None:
        """Drop the lock (clearing the holder record first); a no-op when not held."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now ({"pid", "host", "started"}), or None when nobody does.

        A record left by a dead process is not a holder. Returns {} if the lock is held but its holder has
        not written a readable record yet.
        """
        if self._fd is None and not self._busy():
            return None
        for _ in range(_READ_ATTEMPTS):
            record = self._read()
            if record is not None:
                return record
            time.sleep(_READ_PAUSE_S)
        return {}

    def __enter__(self) -> RunLock:
        if not self.acquire():
            raise AlreadyRunning(self.path, self.holder() or {})
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def _record(self, fd: int) -> None:
        started = to_shanghai(utcnow()).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        data = json.dumps(record).encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def _busy(self) -> bool:
        """Whether some other open file description holds the lock (probing with a shared lock)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the probe's shared lock as well
        return False

    def _read(self) -> dict[str, Any] | None:
        try:
            record = json.loads(self.path.read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None
