"""A real Chromium started by the fetch adapter does not see the credentials in its parent's environment."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiohttp import web

from adapters.browser import PlaywrightFetchAdapter
from adapters.protocols import FetchRequest
from tests.localserver import serve_locally

pytestmark = pytest.mark.browser
PASSWORD = "pw-Zjj-2026-secret"


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def browser_environments(pid: int) -> list[dict[str, str]]:
    """The environment of every Chromium process below `pid` (processes that end meanwhile are left out)."""
    found = []
    for child in descendants(pid):
        try:
            if b"chrom" not in Path(f"/proc/{child}/cmdline").read_bytes():
                continue
            raw = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        found.append(dict(item.decode(errors="replace").partition("=")[::2] for item in raw if b"=" in item))
    return found


def test_chromium_gets_no_reply_account_or_database_password_from_its_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD", PASSWORD)
    monkeypatch.setenv("HARVESTER_DB_URL", f"postgresql+psycopg://liuyan:{PASSWORD}@db/liuyan")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body><p id='x'>市长信箱</p></body></html>", content_type="text/html")

    async def scenario() -> list[dict[str, str]]:
        runner, base = await serve_locally(page)
        try:
            async with PlaywrightFetchAdapter() as fetcher:
                await fetcher.fetch(FetchRequest(url=f"{base}/"))
                return browser_environments(os.getpid())
        finally:
            await runner.cleanup()

    environments = asyncio.run(scenario())
    assert environments, "no chromium process found below this one"
    # the browser process's own environment (its helpers overwrite theirs with their command line, and show junk)
    assert any("PATH" in env and "HOME" in env for env in environments)
    assert [env for env in environments if any(PASSWORD in value for value in env.values())] == []
