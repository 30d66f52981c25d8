"""The run lock: one holder at a time across processes, a clear refusal, and no block from dead holders."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from harvester.runlock import AlreadyRunning, RunLock

ROOT = Path(__file__).resolve().parents[2]

# Waits for a go file, then takes the lock and keeps it until a done file appears; a loser prints the refusal.
CONTENDER = """
import pathlib, sys, time
from harvester.runlock import AlreadyRunning, RunLock
lock_path, ready, go, done = map(pathlib.Path, sys.argv[1:5])
ready.touch()
while not go.exists():
    time.sleep(0.001)
try:
    with RunLock(lock_path):
        print("acquired", flush=True)
        while not done.exists():
            time.sleep(0.01)
except AlreadyRunning as exc:
    print(exc, flush=True)
    sys.exit(75)
"""

# Takes the lock, optionally starts a long-lived child that keeps every inheritable fd (as os.system and
# close_fds=False do), says so, then sleeps until killed.
HOLDER = """
import subprocess, sys, time
from harvester.runlock import RunLock
lock = RunLock(sys.argv[1])
assert lock.acquire()
child = subprocess.Popen(["sleep", "30"], close_fds=False) if sys.argv[2] == "child" else None
print(child.pid if child else "locked", flush=True)
time.sleep(60)
"""


def _python(code: str, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.005)


def test_second_lock_on_the_same_file_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    first, second = RunLock(path), RunLock(path)
    assert first.acquire()
    assert not second.acquire()
    holder = second.holder()
    assert holder is not None
    assert holder["pid"] == os.getpid()
    assert holder["host"] == socket.gethostname()
    assert datetime.fromisoformat(holder["started"]).utcoffset() is not None
    with pytest.raises(AlreadyRunning) as refused, second:
        pass
    message = str(refused.value)
    assert message.startswith(f"another harvester run (pid {os.getpid()} on {socket.gethostname()}, started ")
    assert message.endswith(f") holds {path}; exiting")
    first.release()


def test_released_lock_can_be_taken_again_and_has_no_holder(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "run.lock"  # a missing directory is created
    with RunLock(path) as lock:
        assert lock.held
    assert not lock.held
    assert RunLock(path).holder() is None
    assert path.exists()  # never unlinked, see RunLock
    with RunLock(path) as again:
        assert (again.holder() or {}).get("pid") == os.getpid()


def test_acquire_is_idempotent_for_the_holder(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "run.lock")
    assert lock.acquire() and lock.acquire()
    lock.release()
    lock.release()
    assert RunLock(tmp_path / "run.lock").acquire()


def test_two_runs_started_together_one_wins_the_other_names_its_pid(tmp_path: Path) -> None:
    path, go, done = tmp_path / "run.lock", tmp_path / "go", tmp_path / "done"
    readies = [tmp_path / "ready-a", tmp_path / "ready-b"]
    runs = [_python(CONTENDER, path, ready, go, done) for ready in readies]
    try:
        for ready in readies:
            _wait_for(ready)
        go.touch()
        first_lines = [run.stdout.readline().strip() for run in runs]  # type: ignore[union-attr]
        assert sorted(line == "acquired" for line in first_lines) == [False, True], first_lines
        winner = runs[first_lines.index("acquired")]
        loser = runs[1 - first_lines.index("acquired")]
        assert loser.wait(timeout=10) == 75
        refusal = first_lines[runs.index(loser)]
        assert f"(pid {winner.pid} on " in refusal
        assert refusal.endswith(f"holds {path}; exiting")
    finally:
        done.touch()
        for run in runs:
            run.wait(timeout=10)
    assert winner.returncode == 0


def test_lock_of_a_sigkilled_run_does_not_block_the_next(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    holder = _python(HOLDER, path, "alone")
    try:
        assert holder.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        assert not RunLock(path).acquire()
        assert (RunLock(path).holder() or {}).get("pid") == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert str(holder.pid) in path.read_text()  # the dead run's record is still in the file...
    assert RunLock(path).holder() is None  # ...but nobody holds the lock
    with RunLock(path) as lock:
        assert (lock.holder() or {}).get("pid") == os.getpid()


def test_children_of_a_killed_run_do_not_keep_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    holder = _python(HOLDER, path, "child")
    child_pid = int(holder.stdout.readline())  # type: ignore[union-attr]
    try:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        os.kill(child_pid, 0)  # the child outlived its parent
        assert RunLock(path).acquire()
    finally:
        os.kill(child_pid, signal.SIGKILL)
