"""Child processes of `harvester run` die with it: a killed run leaves no harvest or push behind.

On Linux the child asks the kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), right after the
fork, before it runs anything; if the parent is already gone by then, it kills itself. Elsewhere this is a
no-op (the per-platform lock in the store still keeps a leftover harvest from running beside the next one).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that makes the child die with this process (None off Linux); with
    `parent`, a function a forked child calls itself to die with that process, its parent."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid() if parent is None else parent

    def arm() -> None:  # runs in the child between fork and exec: no allocation-heavy work, no locks
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return arm
