"""Entries for tests/distributed/test_childstart.py to run in a forked task child instead of the harvest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def report(argv: list[str]) -> int:
    """Print a line to stdout and one to stderr, write the environment and process ids to ARGV[0], exit ARGV[1]."""
    print("生活垃圾 to stdout", flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    Path(argv[0]).write_text(json.dumps({"env": dict(os.environ), "pid": os.getpid(), "sid": os.getsid(0),
                                         "ppid": os.getppid()}), encoding="utf-8")
    return int(argv[1])


def hang(argv: list[str]) -> int:
    """Start a grandchild (as a browser would be), write its pid to ARGV[0], then hang."""
    grandchild = subprocess.Popen(["sleep", "300"])
    Path(argv[0]).write_text(str(grandchild.pid), encoding="utf-8")
    time.sleep(300)
    return 0
