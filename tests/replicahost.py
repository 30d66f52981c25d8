"""Run replicas the way production meets a website: a separate process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def replica_process(tmp_path: Path, names: list[str], seed: int = 7,
                    options: dict[str, dict[str, Any]] | None = None) -> Iterator[dict[str, str]]:
    """Start `python -m replicas serve` for `names`; yield {name: base_url}; kill it afterwards."""
    ports_file = tmp_path / f"replica-ports-{'-'.join(names)}-{uuid.uuid4().hex[:8]}.json"
    command = [sys.executable, "-m", "replicas", "serve", "--seed", str(seed), "--only", ",".join(names),
               "--ports-file", str(ports_file)]
    for name, values in (options or {}).items():
        command += [arg for key, value in values.items() for arg in ("--set", f"{name}.{key}={value}")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=Path(__file__).parent.parent,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 30
        while not ports_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"replica server exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("replica server did not start within 30 s")
            time.sleep(0.05)
        yield json.loads(ports_file.read_text(encoding="utf-8"))
    finally:
        process.kill()
        process.wait()


def control(base_url: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """Call a replica's control API (`/__replica__/<path>`): POST with a payload, else GET."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{base_url}/__replica__/{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())
