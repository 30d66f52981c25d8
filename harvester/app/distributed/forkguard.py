"""Imported by the forkserver of childstart.py first (its preload list), and only there: the forkserver asks
the kernel to SIGKILL it when the worker process that started it dies. Its harvest children die with it (they
ask the same of the forkserver), so a worker killed mid-harvest leaves nothing running; its tasks are
redelivered to another worker, whose harvests then find the platforms free."""

from __future__ import annotations

import os
import sys

from harvester.app.runs_children import die_with_parent


def _in_forkserver() -> bool:
    """Whether this process is billiard's forkserver (`python -c "from billiard.forkserver import main; …"`)."""
    return sys.argv == ["-c"] and "billiard.forkserver" in sys.modules


if _in_forkserver():
    _arm = die_with_parent(os.getppid())
    if _arm is not None:
        _arm()
