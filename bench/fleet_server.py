"""Serve N jact mailbox replicas for bench/fleet.py, each on its own loopback address (127.0.0.2, .3, ...), so
that each looks like another site to Scrapy (download slots are per host name) as hundreds of real ones would.

Usage: python bench/fleet_server.py N PORTS_FILE [--letters L] [--latency-ms MS] [--seed S]
Writes {"fleet_001": "http://127.0.0.2:PORT", ...} to PORTS_FILE once every site listens; serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402

from replicas.catalog import create  # noqa: E402
from replicas.framework import build_app  # noqa: E402


def address(index: int) -> str:
    """The loopback address of site `index` (0-based): 127.0.0.2 upwards, never .0/.255 of an octet."""
    number = index + 2
    return f"127.0.{number // 254}.{number % 254 + 1}" if number >= 254 else f"127.0.0.{number}"


async def serve(count: int, ports_file: Path, letters: int, latency_ms: int, seed: int) -> None:
    urls: dict[str, str] = {}
    for index in range(count):
        replica = create("jact", seed + index, letters=letters, latency_ms=latency_ms)
        runner = web.AppRunner(build_app(replica), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, address(index), 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        urls[f"fleet_{index + 1:03d}"] = f"http://{address(index)}:{port}"
    tmp = ports_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(urls, indent=1), encoding="utf-8")
    os.replace(tmp, ports_file)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("ports_file", type=Path)
    parser.add_argument("--letters", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(serve(args.count, args.ports_file, args.letters, args.latency_ms, args.seed))


if __name__ == "__main__":
    main()
