"""`harvester serve` serves the console next to the API: the sign-in page, its style sheet and script, and the
API's own answers unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.apiserver import free_port


def test_harvester_serve_serves_the_console_and_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")} | {
        "HARVESTER_DB_URL": f"sqlite:///{tmp_path / 'serve.db'}", "HARVESTER_CONSOLE_SECURE_COOKIES": "0"}
    server = subprocess.Popen([sys.executable, "-m", "harvester", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                login = httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        assert login.status_code == 200 and "登录" in login.text
        assert "secure" not in login.headers["set-cookie"].lower()
        assert "script-src 'self'" in login.headers["content-security-policy"]
        css = httpx.get(f"{base}/console-static/console.css")
        js = httpx.get(f"{base}/console-static/console.js")
        assert css.status_code == js.status_code == 200 and "text/css" in css.headers["content-type"]
        ledger = httpx.get(f"{base}/ledger")
        assert ledger.status_code == 303 and ledger.headers["location"] == "/login?next=/ledger"
        assert httpx.get(f"{base}/messages").status_code == 401  # the API still wants its token
    finally:
        server.terminate()
        server.wait(timeout=30)
