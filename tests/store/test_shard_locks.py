"""Board shards' locks, on SQLite and PostgreSQL, held by another process as by another host: two shards of one
platform are harvested at once, one shard never twice, and the whole platform never beside any of its shards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harvester.store.platformlock import PlatformLock, shard_key
from tests.harvesting import ROOT

SLUG = "people_zj"
HOLDER = """
import sys
from harvester.store.platformlock import PlatformLock
db_url, slug, shard = sys.argv[1], sys.argv[2], sys.argv[3] or None
lock = PlatformLock(db_url, slug, shard)
print("locked" if lock.acquire() else "busy", flush=True)
sys.stdin.readline()
"""


@contextmanager
def held_elsewhere(db_url: str, shard: str | None) -> Iterator[None]:
    """Another process holding the platform's lock (`shard` None) or one shard's, until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db_url, SLUG, shard or ""], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=10)


def takes(db_url: str, shard: str | None) -> bool:
    """Whether this process gets the lock now (released again at once)."""
    lock = PlatformLock(db_url, SLUG, shard)
    taken = lock.acquire()
    lock.release()
    return taken


def test_a_shard_held_elsewhere_leaves_the_other_shards_free_and_refuses_itself_and_the_platform(
        db_url: str) -> None:
    with held_elsewhere(db_url, "1/3"):
        assert takes(db_url, "2/3") and takes(db_url, "3/3")
        assert not takes(db_url, "1/3")
        assert not takes(db_url, None)  # a harvest of every board would read the shard's boards beside it
    assert takes(db_url, None) and takes(db_url, "1/3")  # all free once the holder is gone


def test_a_platform_held_elsewhere_refuses_every_shard(db_url: str) -> None:
    with held_elsewhere(db_url, None):
        assert not takes(db_url, "1/2") and not takes(db_url, "2/2")
        refusal = PlatformLock(db_url, SLUG, "2/2").refusal()
    assert refusal.startswith("people_zj shard 2/2: not harvested: another harvest of this shard, or of the whole "
                              "platform, is running")
    assert takes(db_url, "1/2")


def test_shards_of_one_platform_in_one_process_hold_together_and_release_apart(db_url: str) -> None:
    first, second = PlatformLock(db_url, SLUG, "1/2"), PlatformLock(db_url, SLUG, "2/2")
    assert first.acquire() and second.acquire()
    try:
        assert not PlatformLock(db_url, SLUG, "1/2").acquire()
        assert not PlatformLock(db_url, SLUG).acquire()
        first.release()
        assert not PlatformLock(db_url, SLUG).acquire()  # the second shard still reads its boards
        assert takes(db_url, "1/2")
    finally:
        first.release()
        second.release()
    assert takes(db_url, None)


def test_a_shard_is_written_index_slash_count() -> None:
    assert shard_key(SLUG, "2/4") == "people_zj.shard-2-of-4"
    for wrong in ("0/4", "5/4", "2-4", "2/", "/4", "a/b", "2/4/1"):
        with pytest.raises(ValueError, match="INDEX/COUNT"):
            shard_key(SLUG, wrong)
