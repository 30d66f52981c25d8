"""A harvest task's child process, forked from a server that imported the harvest code once per worker process
(multiprocessing's forkserver, its modules preloaded), instead of a new interpreter importing Scrapy,
SQLAlchemy and the spiders for every task (about 1.5 CPU seconds and as long a wait each time).

The child still gets what a fresh process had: a fresh Twisted reactor (nothing installs one before the fork),
its own session (killed as a group at the time limit, a browser it started included), death with its parent
(the forkserver, which ends when the worker process that started it does), a harvest child's environment only,
and its output in the task's log file.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import billiard
from billiard import forkserver

from harvester.app.runs_children import die_with_parent

# Imported once by the forkserver, before the forks: the guard tying its life to this worker process (first),
# then what every task's child runs.
PRELOADED = ["harvester.app.distributed.forkguard", "harvester.app.distributed.child"]
HARVEST_ENTRY = "harvester.app.distributed.child:main"
# Celery's own multiprocessing (billiard): the standard library refuses children to a pool process (daemonic);
# these children die with it anyway (their parent is the forkserver, which ends with the pool process).
_CONTEXT = billiard.get_context("forkserver")


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _ensure_server(env: Mapping[str, str]) -> None:
    """Start this process's forkserver once, from a harvest child's environment (so no credential of the worker
    is in the environment any child starts with, /proc/<pid>/environ included)."""
    _CONTEXT.set_forkserver_preload(PRELOADED)
    with _environment(env):
        forkserver.ensure_running()


def _enter(argv: list[str], env: dict[str, str], log: str, entry: str) -> None:
    """In the forked child: its own session, death with its parent, its log file, its environment; then
    `entry` ("module:function", the harvest's by default) with `argv`."""
    os.setsid()
    arm = die_with_parent(os.getppid())
    if arm is not None:
        arm()
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    os.environ.clear()
    os.environ.update(env)
    module, _, function = entry.partition(":")
    code = getattr(importlib.import_module(module), function)(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(code)


def run_child(argv: Sequence[str], env: Mapping[str, str], log: Path, timeout_s: float,
              entry: str = HARVEST_ENTRY) -> int | None:
    """Run `entry` (what `python -m harvester.app.distributed.child ARGV` runs) in a forked child; its exit code
    (negative: the signal that ended it), or None when it was killed at the time limit."""
    _ensure_server(env)
    process = _CONTEXT.Process(target=_enter, args=(list(argv), dict(env), str(log), entry), name="harvest-task")
    process.start()
    pid = process.pid
    assert pid is not None  # started
    process.join(timeout_s)
    if process.exitcode is not None:
        return process.exitcode
    with suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # its own session: a browser it started goes too
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # not yet in its own session
    process.join()
    return None
