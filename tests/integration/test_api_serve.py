"""`harvester tokens` and `harvester serve` as an operator runs them: a token printed once, the API up on the
port asked for, and a revoked token refused at its next request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.apiserver import free_port

ROOT = Path(__file__).parent.parent.parent


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harvester", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60)


def _wait_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("harvester serve did not come up")


def test_tokens_and_serve_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "HARVESTER_DB_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    created = _cli(env, "tokens", "create", "oa-system", "--scope", "read", "--scope", "replies:draft")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("lyh_")
    listed = _cli(env, "tokens", "list").stdout
    assert "oa-system" in listed and secret not in listed
    assert _cli(env, "tokens", "create", "x", "--scope", "write").returncode != 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "harvester", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url, server)
        headers = {"Authorization": f"Bearer {secret}"}
        assert httpx.get(f"{url}/messages", headers=headers).json() == {"items": [], "next_cursor": None}
        assert _cli(env, "tokens", "revoke", "oa-system").returncode == 0
        assert httpx.get(f"{url}/messages", headers=headers).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
