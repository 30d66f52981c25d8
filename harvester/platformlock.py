"""Transitional: the per-platform harvest lock lives with the store now (harvester.store.platformlock); this
re-export serves importers not yet moved to it (the CLI and operate)."""

from harvester.store.platformlock import BUSY_EXIT, PlatformBusy, PlatformLock, lock_file

__all__ = ["BUSY_EXIT", "PlatformBusy", "PlatformLock", "lock_file"]
