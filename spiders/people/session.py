"""The front-end release as the harvester knows it: the appCode read from a shell page, and its refresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from harvester.extract.errors import LayoutChanged
from harvester.extract.snapshot import Snapshot
from spiders.people.api import parse_shell

ShellFetch = Callable[[], Awaitable[Snapshot]]


class ShellUnreadable(RuntimeError):
    """The shell page could not be fetched at all (network failure, refused)."""


class SiteRelease:
    """The appCode requests are signed with. `generation` counts shell reads, so a request knows whether the
    appCode changed since it was signed: many calls refused at once by one front-end release cause one
    shell read, the others are just signed again."""

    def __init__(self) -> None:
        self.app_code: str | None = None
        self.generation = 0
        self.shell_reads = 0
        self._read_at = float("-inf")
        self._lock: asyncio.Lock | None = None

    def accept(self, snapshot: Snapshot) -> None:
        """Take the appCode from a shell page; LayoutChanged if it carries none."""
        self.app_code = parse_shell(snapshot).app_code
        self.generation += 1
        self.shell_reads += 1
        self._read_at = time.monotonic()

    async def refresh(self, fetch: ShellFetch, seen_generation: int, min_interval_s: float = 0.0) -> bool:
        """Read the shell again unless someone did since `seen_generation` (or within `min_interval_s`).

        True when an appCode newer than the one the caller used is now known; False if the shell could not
        be read (the old appCode stays).
        """
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self.generation > seen_generation:
                return True
            if time.monotonic() - self._read_at < min_interval_s:
                return False
            try:
                self.accept(await fetch())
            except (LayoutChanged, ShellUnreadable):
                self._read_at = time.monotonic()
                return False
            return True
