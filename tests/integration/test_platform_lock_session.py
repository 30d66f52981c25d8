"""On PostgreSQL one process holds all its platforms' locks on one connection (not one per platform, which ran a
300-site fleet out of connections), and the locks still exclude every other harvest: another process cannot take
any of them, another holder in the same process neither, a release frees only its platform, a killed holder frees
them all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from harvester.store.platformlock import ADVISORY_CLASS, LockSession, PlatformLock
from tests.harvesting import ROOT
from tests.store.conftest import fresh_pg_schema

pytestmark = pytest.mark.postgres

SLUGS = [f"platform_{n:02d}" for n in range(12)]
HOLDER = """
import sys
from harvester.store.platformlock import LockSession, PlatformLock
locks = {slug: PlatformLock(sys.argv[1], slug) for slug in sys.argv[2:]}
assert all(lock.acquire() for lock in locks.values())
print("locked", LockSession.for_url(sys.argv[1]).backend_pid(), flush=True)
for line in sys.stdin:
    locks[line.strip()].release()
    print("released", flush=True)
"""


@pytest.fixture
def db_url() -> Iterator[str]:
    with fresh_pg_schema() as url:
        yield url


def lock_sessions(db_url: str, pid: int) -> tuple[int, int, int]:
    """The holder process's connections (by the name it gives them), the server sessions holding locks of
    SLUGS in this schema, and how many such locks are granted."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            named = connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE :n"),
                                       {"n": f"harvester % pid {pid} on %"}).scalar_one()
            holders, granted = connection.execute(text(
                "SELECT count(DISTINCT pid), count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 2 AND classid::text::bigint = :cls AND objid::text::bigint IN (SELECT "
                "hashtext(current_schema() || '/' || s)::bigint & 4294967295 FROM unnest(CAST(:slugs AS text[])) s)"),
                {"cls": ADVISORY_CLASS, "slugs": SLUGS}).one()
    finally:
        engine.dispose()
    return int(named), int(holders), int(granted)


def free(db_url: str, slug: str) -> bool:
    lock = PlatformLock(db_url, slug)
    if not lock.acquire():
        return False
    lock.release()
    return True


def test_one_process_holds_many_platform_locks_on_one_connection(db_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, db_url, *SLUGS], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdin is not None and holder.stdout is not None
        said, backend = holder.stdout.readline().split()
        assert said == "locked" and int(backend) > 0
        assert lock_sessions(db_url, holder.pid) == (1, 1, len(SLUGS))  # 12 locks, one connection
        assert not any(free(db_url, slug) for slug in SLUGS)  # this process can take none of them
        assert f"pid {holder.pid}" in PlatformLock(db_url, SLUGS[5]).refusal()

        holder.stdin.write(f"{SLUGS[3]}\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert [slug for slug in SLUGS if free(db_url, slug)] == [SLUGS[3]]  # only the released one is free
        assert lock_sessions(db_url, holder.pid) == (1, 1, len(SLUGS) - 1)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    for slug in SLUGS:  # the server ends the session a moment after its client is killed
        lock = PlatformLock(db_url, slug)
        assert lock.acquire(wait_s=10), slug
        lock.release()


def test_a_process_cannot_lock_a_platform_twice_and_closes_its_connection_with_the_last_lock(db_url: str) -> None:
    first, other = PlatformLock(db_url, SLUGS[0]), PlatformLock(db_url, SLUGS[1])
    assert first.acquire() and other.acquire()
    session = LockSession.for_url(db_url)
    try:
        again = PlatformLock(db_url, SLUGS[0])
        assert not again.acquire()  # advisory locks stack within a session: the session itself must refuse
        assert not again.held and session.held == {SLUGS[0], SLUGS[1]}
        assert lock_sessions(db_url, os.getpid()) == (1, 1, 2)
        first.release()
        assert again.acquire()  # free once its holder in this process let it go
        again.release()
        assert session.held == {SLUGS[1]}
        assert lock_sessions(db_url, os.getpid()) == (1, 1, 1)
    finally:
        first.release()
        other.release()
    assert session.held == frozenset() and session.backend_pid() is None
    assert lock_sessions(db_url, os.getpid()) == (0, 0, 0)  # an idle process holds no connection
